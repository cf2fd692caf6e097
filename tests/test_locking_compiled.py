"""Statements compiled once: ``lock_contacts_compiled()`` (the statement of
``lock_contacts()``) and ``lock_customer()``."""

import pytest
from django.db import transaction

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.locking import COMPILED_KEYS, lock_contacts, lock_contacts_compiled, lock_customer
from django_customer_contacts.merging.rules import channel_facts


def as_read(contacts):
    """What was read of each contact: its fields and the annotations set on it."""
    return {pk: {k: v for k, v in vars(c).items() if not k.startswith("_")} for pk, c in contacts.items()}


@pytest.mark.parametrize("count", [1, 3, COMPILED_KEYS + 2])
def test_it_reads_the_rows_and_annotations_the_queryset_reads(customer, make_contact, count, django_assert_num_queries):
    Contact = get_contact_model()
    contacts = [make_contact(customer, first_name=f"P{index}") for index in range(count)]
    contacts[0].add_email("p0@example.com")
    contacts[-1].add_phone("07911 123456")
    pks = [contact.pk for contact in reversed(contacts)]
    gone = make_contact(customer, first_name="Gone")
    gone.delete()  # its pk is None now

    def queryset():
        return Contact._base_manager.annotate(**channel_facts(Contact))

    with transaction.atomic():
        expected = as_read(lock_contacts(pks, "default", queryset()))
        for _ in range(2):
            with django_assert_num_queries(1):
                locked = lock_contacts_compiled([*pks, gone.pk, pks[0], -1], "default", "test", queryset)
            assert as_read(locked) == expected
    assert sorted(expected) == sorted(pks)
    # The annotations are there, as booleans: the first has an email, the last a mobile.
    first, last = expected[contacts[0].pk], expected[contacts[-1].pk]
    facts = [name for name in first if name not in {f.attname for f in Contact._meta.concrete_fields}]
    assert len(facts) == 3
    with_email = {name for name in facts if "email" in name}
    assert {name for name in facts if first[name] is True} == (set(facts) if count == 1 else with_email)
    assert {name for name in facts if last[name] is True} == (set(facts) if count == 1 else set(facts) - with_email)
    assert all(isinstance(first[name], bool) for name in facts)


def test_no_pk_reads_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert lock_contacts_compiled([None], "default", "test", lambda: get_contact_model()._base_manager.all()) == {}


def test_lock_customer_reads_the_row_as_it_is_now(customer, django_assert_num_queries):
    Customer = get_customer_model()
    other = Customer.objects.create(name="Other Ltd")
    # Changed behind the instances' backs: the lock reads the row anew, each time compiled once.
    Customer.objects.filter(pk=customer.pk).update(name="Renamed Ltd")
    with transaction.atomic():
        for pk, expected in [
            (customer.pk, (customer.pk, "Renamed Ltd")),
            (other.pk, (other.pk, "Other Ltd")),
            (str(customer.pk), (customer.pk, "Renamed Ltd")),  # as a URL or a form gives it
        ]:
            with django_assert_num_queries(1):
                locked = lock_customer(pk, "default")
            assert (type(locked), locked.pk, locked.name) == (Customer, *expected)
            assert locked._state.db == "default" and not locked._state.adding


def test_lock_customer_of_a_missing_pk_raises_does_not_exist(customer):
    Customer = get_customer_model()
    missing = customer.pk
    customer.delete()
    with transaction.atomic(), pytest.raises(Customer.DoesNotExist, match="matching query does not exist"):
        lock_customer(missing, "default")
