"""Fault injection: whichever step of an undo fails, every table is exactly as before it.

Each case lets one step of ``unmerge`` do its writes, checks that the tables did
change, then raises — as a crash, a database error or a bug would.
"""

import pytest

from django_customer_contacts import history
from django_customer_contacts.merging import undo
from django_customer_contacts.services import merge_contacts, plan_unmerge, unmerge
from django_customer_contacts.signals import contacts_unmerged
from tests.merge_fixtures import contacts_with_every_relation, data_rows, table_rows
from tests.test_merge_faults import InjectedFault, fail_after


@pytest.fixture
def record(customer, make_contact, django_user_model):
    main, duplicates = contacts_with_every_relation(customer, make_contact, django_user_model)
    return merge_contacts(main, duplicates, reason="to be undone")


# Every step of an undo that writes, by the module that owns it.
STEPS = [
    (undo, "mark_undone", "first"),
    (undo, "restore_main", "first"),
    (undo, "restore_contacts", "first"),
    (undo, "move_back", "first"),
    (undo, "move_back", "last"),
    (undo, "create_rows", "first"),
    (undo, "create_rows", "last"),
    (history, "write_history", "first"),
    (history, "write_history", "last"),
    (history, "insert_select", "first"),
    (history, "bulk_history", "first"),
    (undo, "write_contact_history", "first"),
]


@pytest.mark.parametrize(("module", "step", "which"), STEPS, ids=[f"{step}-{which}" for _module, step, which in STEPS])
def test_a_failing_step_leaves_every_table_as_it_was(record, monkeypatch, module, step, which):
    plan = plan_unmerge(record)
    calls = {
        "move_back": sum(1 for relation in plan.relations if relation),
        "create_rows": sum(1 for relation in plan.relations if relation.created),
        # One per relation with rows, for the models that keep history.
        "write_history": sum(1 for relation in plan.relations if relation),
    }
    assert calls["create_rows"] >= 3  # links main had too: dropped, to re-create
    before = table_rows()
    changes = []
    fail_after(monkeypatch, module, step, calls[step] if which == "last" else 1, before, changes)
    with pytest.raises(InjectedFault):
        unmerge(record, reason="fault injection")
    assert changes == [True]  # the step had written something
    assert table_rows() == before
    record.refresh_from_db()
    assert not record.is_undone


def test_a_failing_receiver_leaves_every_table_as_it_was(record):
    before = table_rows()
    changes = []

    def receiver(**kwargs):
        changes.append(table_rows() != before)
        raise InjectedFault("contacts_unmerged")

    contacts_unmerged.connect(receiver)
    try:
        with pytest.raises(InjectedFault):
            unmerge(record)
    finally:
        contacts_unmerged.disconnect(receiver)
    assert changes == [True]
    assert table_rows() == before


def test_the_undo_succeeds_once_nothing_fails(record):
    before = data_rows()
    unmerge(record)
    assert data_rows() != before
