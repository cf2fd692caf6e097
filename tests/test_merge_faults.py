"""Fault injection: whichever step of a merge fails, every table is exactly as before.

Each case lets one step of ``merge_contacts`` do its writes, checks that the tables did
change, then raises — as a crash, a database error or a bug would.
"""

import pytest

from django_customer_contacts import history
from django_customer_contacts.merging import executor, plan_merge, record
from django_customer_contacts.services import merge_contacts
from django_customer_contacts.signals import contacts_merged
from tests.merge_fixtures import host_models, link_everything, shared_targets, table_rows


class InjectedFault(Exception):
    pass


@pytest.fixture
def merge_case(customer, make_contact):
    """Main and two duplicates (one of them primary) with rows in every relation."""
    first = make_contact(customer, first_name="Jane", job_title="CFO")
    main = make_contact(customer, first_name="Jane")
    second = make_contact(customer, first_name="Jane")
    shared = shared_targets()
    for contact, name in ((main, "main"), (first, "first"), (second, "second")):
        link_everything(contact, name, count=2, shared=shared)
    host_models.Badge.objects.filter(contact__in=[main, second]).delete()
    assert first.is_primary
    return main, [first, second]


def fail_after(monkeypatch, module, name, call, before, changes):
    """Make ``<module>.<name>`` raise after its ``call``-th run, noting whether tables changed."""
    original = getattr(module, name)
    calls = []

    def step(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == call:
            changes.append(table_rows() != before)
            raise InjectedFault(name)
        return result

    monkeypatch.setattr(module, name, step)


def relations_with_rows(main, duplicates):
    return sum(1 for relation_plan in plan_merge(main, duplicates).relations if relation_plan)


# Every step of a merge that writes, by the module that owns it.
STEPS = [
    (record, "create_record", "first"),
    (history, "write_history", "first"),
    (history, "insert_select", "last"),
    (history, "bulk_history", "first"),
    (executor, "move_relation", "first"),
    (executor, "move_relation", "last"),
    (executor, "delete_rows", "first"),
    (executor, "delete_duplicates", "first"),
    (executor, "save_main", "first"),
    (executor, "write_contact_history", "first"),
]


@pytest.mark.parametrize(("module", "step", "which"), STEPS, ids=[f"{step}-{which}" for _module, step, which in STEPS])
def test_a_failing_step_leaves_every_table_as_it_was(merge_case, monkeypatch, module, step, which):
    main, duplicates = merge_case
    calls = {
        "move_relation": relations_with_rows(main, duplicates),
        # Contact points and the host's opportunities keep history the INSERT ... SELECT way.
        "insert_select": 3,
    }
    before = table_rows()
    changes = []
    fail_after(monkeypatch, module, step, calls[step] if which == "last" else 1, before, changes)
    with pytest.raises(InjectedFault):
        merge_contacts(main, duplicates, reason="fault injection")
    assert changes == [True]  # the step had written something
    assert table_rows() == before


def test_a_failing_receiver_leaves_every_table_as_it_was(merge_case):
    main, duplicates = merge_case
    before = table_rows()
    changes = []

    def receiver(**kwargs):
        changes.append(table_rows() != before)
        raise InjectedFault("contacts_merged")

    contacts_merged.connect(receiver)
    try:
        with pytest.raises(InjectedFault):
            merge_contacts(main, duplicates)
    finally:
        contacts_merged.disconnect(receiver)
    assert changes == [True]
    assert table_rows() == before


def test_the_merge_succeeds_once_nothing_fails(merge_case):
    main, duplicates = merge_case
    before = table_rows()
    merge_contacts(main, duplicates)
    assert table_rows() != before
