"""``locking.chunked``: the one way a list is split for statements and pages."""

import pytest

from django_customer_contacts.locking import chunked


@pytest.mark.parametrize(
    ("items", "size", "expected"),
    [
        ([], 3, []),
        ([1, 2, 3], 3, [[1, 2, 3]]),
        ([1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]]),
        ([1, 2], 5, [[1, 2]]),
        ((1, 2, 3), 1, [(1,), (2,), (3,)]),
    ],
)
def test_slices_in_order_the_last_one_shorter(items, size, expected):
    assert list(chunked(items, size)) == expected


def test_a_size_below_one_is_refused():
    with pytest.raises(ValueError):
        list(chunked([1], 0))
