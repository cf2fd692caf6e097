"""``unmerge_contacts RECORD_PK [--dry-run]``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import MergeRecord
from django_customer_contacts.services import merge_contacts
from tests.merge_fixtures import add_fk_rows, fk_rows, table_rows


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def record(customer, make_contact):
    jane = make_contact(customer, first_name="Jane")
    twin = make_contact(customer, first_name="Jane", last_name="Smyth", job_title="CFO")
    add_fk_rows(twin, 2)
    return merge_contacts(jane, [twin])


def test_unmerge_contacts_undoes_the_merge(record):
    [twin] = record.merged_ids
    out = run("unmerge_contacts", str(record.pk), "--reason", "two people")
    assert f"Undid merge #{record.pk}: restored contact #{twin}." in out
    assert fk_rows(twin).count() == 2
    record.refresh_from_db()
    assert record.is_undone and record.undo_reason == "two people"


def test_unmerge_contacts_prints_what_it_kept(record):
    main = get_contact_model().objects.get(pk=record.contact_id)
    main.job_title = "CEO"
    main.save()
    out = run("unmerge_contacts", str(record.pk))
    assert "was changed since the merge: it keeps 'CEO'" in out


def test_unmerge_contacts_dry_run_prints_the_plan_and_changes_nothing(record):
    [twin] = record.merged_ids
    before = table_rows()
    out = run("unmerge_contacts", str(record.pk), "--dry-run")
    assert (
        f"Undo merge #{record.pk}: restore Jane Smyth (#{twin}), merged into Jane Smith (#{record.contact_id})." in out
    )
    assert f"invoices: 2 back to Jane Smyth (#{twin}), 0 re-created" in out or "tickets: 2 back" in out
    assert out.endswith("Dry run: nothing changed.\n")
    assert table_rows() == before


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("abc", "not a valid merge record key"),
        ("999999", "There is no merge record 999999"),
        ("{pk}", "undone already"),
    ],
)
def test_unmerge_contacts_refusals_are_command_errors(record, arg, message):
    if arg == "{pk}":
        run("unmerge_contacts", str(record.pk))
    before = table_rows()
    with pytest.raises(CommandError, match=message):
        run("unmerge_contacts", arg.format(pk=record.pk))
    assert table_rows() == before
    assert MergeRecord.objects.count() == 1
