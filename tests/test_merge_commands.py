"""``find_duplicate_contacts`` and ``merge_contacts`` from the command line."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.conf import app_settings
from django_customer_contacts.models import ContactEmail, DuplicateScan, MergeRecord
from tests.merge_fixtures import add_fk_rows, fk_rows, table_rows


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def twins(customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    twin = make_contact(customer, first_name="JANE", last_name="smith", job_title="CFO")
    ContactEmail.objects.create(contact=twin, email="Jane@Example.com")
    add_fk_rows(twin, 2)
    return jane, twin


def test_find_duplicate_contacts_prints_a_table(twins, customer):
    jane, twin = twins
    out = run("find_duplicate_contacts", "--exact")
    assert f"Group 1: {customer} (customer {customer.pk}), shared email, name" in out
    assert f"{jane.pk}  Jane Smith [primary]  jane@example.com" in out
    assert f"{twin.pk}  JANE smith" in out
    assert "1 group of likely duplicates" in out


def test_find_duplicate_contacts_as_json_and_for_one_customer(twins, make_customer, make_contact):
    jane, twin = twins
    other = make_customer()
    make_contact(other, first_name="Bob")
    make_contact(other, first_name="Bob")
    groups = json.loads(run("find_duplicate_contacts", "--json", "--exact", "--customer", str(jane.customer_id)))
    assert groups == [
        {
            "customer": str(jane.customer_id),
            "reasons": ["email", "name"],
            "score": 1.0,
            "links": [],
            "contacts": [
                {"id": jane.pk, "name": "Jane Smith", "is_primary": True, "emails": ["jane@example.com"], "phones": []},
                {
                    "id": twin.pk,
                    "name": "JANE smith",
                    "is_primary": False,
                    "emails": ["Jane@Example.com"],
                    "phones": [],
                },
            ],
        }
    ]
    assert len(json.loads(run("find_duplicate_contacts", "--json", "--exact"))) == 2


def test_find_duplicate_contacts_prints_scores_and_reasons(twins, customer):
    jane, twin = twins
    out = run("find_duplicate_contacts")
    assert f"Group 1: {customer} (customer {customer.pk}), score 0.9" in out
    assert ": email, name\n" in out
    assert f"  {jane.pk} ~ {twin.pk}  0.9" in out
    assert "same email jane@example.com" in out
    assert "first names jane and jane: same" in out
    [group] = json.loads(run("find_duplicate_contacts", "--json"))
    [link] = group["links"]
    assert link["contacts"] == [jane.pk, twin.pk]
    assert link["reasons"] == ["email", "name"]
    assert link["score"] == group["score"] > 0.9


def test_find_duplicate_contacts_stores_the_answers_the_pages_read_back(twins, customer, make_customer):
    searched = run("find_duplicate_contacts", "--min-score", str(app_settings.duplicate_min_score))  # afresh
    assert not DuplicateScan.objects.exists()
    assert run("find_duplicate_contacts") == searched  # the same, through the stored answers
    assert DuplicateScan.objects.filter(customer=customer).exists()
    other = make_customer()
    assert run("find_duplicate_contacts", "--customer", str(customer.pk)) == searched
    assert run("find_duplicate_contacts", "--customer", str(other.pk)) == "No likely duplicates found.\n"
    with CaptureQueriesContext(connection) as queries:
        run("find_duplicate_contacts", "--json")
    assert not any("GROUP BY" in query["sql"].upper() for query in queries.captured_queries)  # read back


def test_find_duplicate_contacts_min_score_raises_the_bar(customer, make_contact):
    make_contact(customer, first_name="Jonathan", last_name="Smith")
    make_contact(customer, first_name="Jonahtan", last_name="Smith")
    assert "score 0.6" in run("find_duplicate_contacts", "--min-score", "0.5")
    assert run("find_duplicate_contacts", "--min-score", "0.99") == "No likely duplicates found.\n"


@pytest.mark.parametrize("value", ["0", "1.5", "-1"])
def test_find_duplicate_contacts_refuses_a_min_score_outside_zero_to_one(db, value):
    with pytest.raises(CommandError, match="--min-score must be above 0 and at most 1"):
        run("find_duplicate_contacts", "--min-score", value)


def test_find_duplicate_contacts_says_when_there_are_none(db):
    assert run("find_duplicate_contacts") == "No likely duplicates found.\n"


def test_merge_contacts_merges_and_says_what_moved(twins):
    jane, twin = twins
    out = run("merge_contacts", str(jane.pk), str(twin.pk), "--reason", "imported twice")
    record = MergeRecord.objects.get()
    assert f"Merged 1 contact into Jane Smith (#{jane.pk}); merge record #{record.pk}." in out
    assert "customer_contacts.contactemail.contact: 0 moved, 1 dropped" in out
    assert record.reason == "imported twice"
    assert fk_rows(jane).count() == 2
    assert not get_contact_model().objects.filter(pk=twin.pk).exists()


def test_merge_contacts_keep_chooses_a_value(twins):
    jane, twin = twins
    run("merge_contacts", str(jane.pk), str(twin.pk), "--keep", f"first_name={twin.pk}")
    assert get_contact_model().objects.get(pk=jane.pk).first_name == "JANE"


def test_merge_contacts_dry_run_prints_the_plan_and_changes_nothing(twins):
    jane, twin = twins
    before = table_rows()
    out = run("merge_contacts", str(jane.pk), str(twin.pk), "--dry-run")
    assert f"Merge JANE smith (#{twin.pk}) into Jane Smith (#{jane.pk})." in out
    assert f"job_title: 'CFO', from #{twin.pk}" in out
    assert "1 dropped" in out and "2 moved" in out
    assert out.endswith("Dry run: nothing changed.\n")
    assert table_rows() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "1"], "There is no contact 999999"),
        (["{main}", "{main}"], "is the main contact"),
        (["{main}", "999999"], "#999999 no longer exists"),
        (["{main}", "{twin}", "--keep", "customer"], "--keep takes FIELD=PK"),
        (["{main}", "{twin}", "--keep", "customer={twin}"], "customer can't be chosen"),
    ],
)
def test_merge_contacts_refusals_are_command_errors(twins, args, message):
    jane, twin = twins
    before = table_rows()
    with pytest.raises(CommandError, match=message):
        run("merge_contacts", *(arg.format(main=jane.pk, twin=twin.pk) for arg in args))
    assert table_rows() == before
