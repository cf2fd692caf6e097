"""Undoing a merge: every table as it was before the merge, for every relation kind."""

import pytest
from django.apps import apps
from simple_history.models import HistoricalChanges

from django_customer_contacts.models import MergeRecord
from django_customer_contacts.services import merge_contacts, unmerge
from tests.merge_fixtures import host_models, link_everything, shared_targets, table_rows


def data_rows():
    """Every table but history and merge records, which an undo adds to."""
    return {
        label: rows
        for label, rows in table_rows().items()
        if not issubclass(apps.get_model(label), HistoricalChanges) and label != MergeRecord._meta.label
    }


@pytest.fixture
def merge_case(customer, make_contact):
    first = make_contact(customer, first_name="Jane", job_title="CFO")
    main = make_contact(customer, first_name="Jane")
    second = make_contact(customer, first_name="Jane")
    shared = shared_targets()
    for contact, name in ((main, "main"), (first, "first"), (second, "second")):
        link_everything(contact, name, count=2, shared=shared)
    host_models.Badge.objects.filter(contact__in=[main, second]).delete()
    assert first.is_primary
    return main, [first, second]


def test_merge_then_unmerge_leaves_every_table_as_before(merge_case):
    main, duplicates = merge_case
    before = data_rows()
    record = merge_contacts(main, duplicates, reason="test")
    assert data_rows() != before
    unmerge(record)
    after = data_rows()
    for label in before:
        assert after[label] == before[label], label
