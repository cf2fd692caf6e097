"""The subject-access export (GDPR art. 15/20): all of the person, nothing of anybody else."""

import io
import json
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import ContactError
from django_customer_contacts.merging.record import json_value
from django_customer_contacts.models import MergeRecord, NotificationCategory, Tag
from django_customer_contacts.services import merge_contacts, subject_access_data, unmerge
from django_customer_contacts.subject_access import FORMAT, FORMAT_VERSION, subject_access_json
from tests.erasure_fixtures import EMAIL, FIRST, LAST, MERGED_EMAIL, OLD_EMAIL, PERSONAL, plant_person

# Another contact of the same customer, with values of its own in every place a person's are.
OTHER = [
    "Wilhelmina",
    "Xanthoudakis",
    "Marzipan taster",  # job title
    "Allergic to walnuts",  # notes
    "1980-07-21",  # birthday
    "trade fair stand 7",  # consent source
    "w.xanthoudakis@elsewhere.example.net",
    "wx.old@elsewhere.example.net",
    "+442071838750",
    "2071838750",
    "Marzipan-Club",  # a tag only she has
    "Xanthoudakis twin",  # the reason of a merge into her
    "Wilma",  # her merged duplicate's first name
]


@pytest.fixture
def person(customer, make_contact, django_user_model):
    """The erasure tests' person: every value they plant must be in the export."""
    return plant_person(customer, make_contact, django_user_model)


@pytest.fixture
def other(customer, make_contact, person):
    other = make_contact(
        customer,
        first_name="Wilhelmina",
        last_name="Xanthoudakis",
        birthday=date(1980, 7, 21),
        job_title="Marzipan taster",
        notes="Allergic to walnuts",
        marketing_consent=True,
        marketing_consent_source="trade fair stand 7",
    )
    old = other.add_email("wx.old@elsewhere.example.net")
    other.add_email("w.xanthoudakis@elsewhere.example.net", primary=True)
    old.delete()
    other.add_phone("020 7183 8750")
    other.tags.add(Tag.objects.create(name="Marzipan-Club"))
    twin = make_contact(customer, first_name="Wilma", last_name="Xanthoudakis")
    merge_contacts(other, [twin], reason="Xanthoudakis twin")
    return other


def found(document, needles):
    text = json.dumps(document, ensure_ascii=False).casefold()
    return {needle for needle in needles if needle.casefold() in text}


def test_the_export_holds_every_value_the_erasure_test_plants(person):
    assert found(subject_access_data(person), PERSONAL) == set(PERSONAL)


def test_the_export_holds_nothing_of_another_contact_of_the_same_customer(person, other):
    assert found(subject_access_data(other), OTHER) == set(OTHER)  # the needles are findable
    document = subject_access_data(person)
    assert found(document, PERSONAL) == set(PERSONAL)
    assert found(document, OTHER) == set()


def test_the_export_has_a_documented_shape(person):
    document = subject_access_data(person)
    assert document["format"] == FORMAT == "django-customer-contacts/subject-access"
    assert document["format_version"] == FORMAT_VERSION == 1
    assert list(document) == [
        "format",
        "format_version",
        "exported_at",
        "contact_id",
        "contact",
        "customer",
        "user_account",
        "emails",
        "phones",
        "consent",
        "notification_categories",
        "tags",
        "merged_contact_ids",
        "merge_records",
        "history",
        "admin_log",
    ]
    assert document["contact_id"] == person.pk
    assert document["contact"]["first_name"] == FIRST and document["contact"]["birthday"] == "1971-03-14"
    # The swapped scenario's customer has a UUID key: JSON holds it as text.
    assert document["customer"] == {"id": json_value(person.customer_id), "name": "Acme Ltd"}
    assert [(e["email"], e["is_primary"]) for e in document["emails"]] == [(EMAIL, True)]
    assert [(p["number"], p["kind"], p["is_primary"]) for p in document["phones"]] == [
        ("+447911123456", "mobile", True),
        ("+442079460018", "work", False),
    ]
    assert document["notification_categories"] == [{"code": "billing", "name": "Billing"}]
    assert document["tags"] == ["VIP"]
    assert document["consent"]["marketing_consent"] is True
    assert document["consent"]["marketing_consent_source"] == f"web form signed by {FIRST} {LAST}"
    # The evidence: the history row that recorded the consent, with its time and source.
    evidence = document["consent"]["evidence"]
    assert evidence[0]["contact_id"] == person.pk and evidence[0]["marketing_consent"] is True
    assert evidence[0]["marketing_consent_source"] == f"web form signed by {FIRST} {LAST}"
    twin_pk = MergeRecord.objects.get(contact=person).merged_ids[0]
    assert document["merged_contact_ids"] == [twin_pk]
    [record] = document["merge_records"]
    assert record["role"] == "survivor" and record["merged_ids"] == [twin_pk]
    assert record["snapshots"][str(twin_pk)]["emails"][0]["email"] == MERGED_EMAIL
    # History: the person's rows and the merged duplicate's, and every address they had.
    assert {row["id"] for row in document["history"]["contact"]} == {person.pk, twin_pk}
    assert {row["email"] for row in document["history"]["emails"]} == {EMAIL, OLD_EMAIL, MERGED_EMAIL}
    assert {row["history_type"] for row in document["history"]["emails"]} == {"+", "-", "~"}
    # Who changed the rows is staff's data, not the person's; keys derived from the names are the app's.
    assert all("history_user_id" not in row for row in document["history"]["contact"])
    assert not {"name_key", "match_initial_low"} & {*document["contact"], *document["history"]["contact"][0]}
    [entry] = document["admin_log"]
    assert entry["action"] == "changed" and "+44 7911 123456" in entry["change_message"]
    # The document is JSON as it is.
    assert json.loads(subject_access_json(person))["contact_id"] == person.pk


def test_consent_withdrawn_is_in_the_evidence(customer, make_contact):
    jane = make_contact(customer, marketing_consent=True, marketing_consent_source="web form")
    jane.marketing_consent = False
    jane.save()
    evidence = subject_access_data(jane)["consent"]["evidence"]
    assert [(row["marketing_consent"], row["marketing_consent_source"]) for row in evidence] == [
        (True, "web form"),
        (False, ""),
    ]
    assert subject_access_data(jane)["consent"]["marketing_consent"] is False


def test_a_merge_of_the_person_into_another_contact_shows_only_the_persons_snapshot(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    keeper = make_contact(customer, first_name="Wilhelmina", last_name="Xanthoudakis", notes="Allergic to walnuts")
    merged = make_contact(customer, first_name=FIRST, last_name=LAST)
    merged.add_email(EMAIL)
    merge_contacts(keeper, [merged], reason="Xanthoudakis twin")
    merged_pk = merged.pk

    document = subject_access_data(merged_pk)  # a deleted contact: its traces are still held

    assert document["contact"] is None and document["emails"] == []
    [record] = document["merge_records"]
    assert record["role"] == "merged" and list(record["snapshots"]) == [str(merged_pk)]
    assert found(document, [FIRST, LAST, EMAIL]) == {FIRST, LAST, EMAIL}
    assert found(document, ["Wilhelmina", "Xanthoudakis", "walnuts"]) == set()


def test_an_undone_merge_into_the_person_shows_nothing_of_the_contacts_it_gave_back(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    twin = make_contact(customer, first_name="Wilhelmina", last_name="Xanthoudakis")
    twin.add_email("w.xanthoudakis@elsewhere.example.net")
    record = merge_contacts(main, [twin], reason="Xanthoudakis twin?")
    unmerge(record, reason="not Xanthoudakis after all")

    document = subject_access_data(main)

    assert document["merged_contact_ids"] == []
    assert found(document, ["Wilhelmina", "Xanthoudakis", "elsewhere.example.net"]) == set()
    [entry] = document["merge_records"]
    assert entry["role"] == "survivor" and entry["undone_at"] and entry["snapshots"] == {}


def _queries(contact):
    ContentType.objects.clear_cache()  # counted alike, whichever test ran before
    with CaptureQueriesContext(connection) as queries:
        subject_access_data(contact)
    return len(queries)


def test_the_export_reads_as_many_queries_for_many_rows_as_for_few(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    few = make_contact(customer, first_name="Few", last_name="Rows")
    few.add_email("few@example.org")
    few.add_phone("07911 123100")
    many = make_contact(customer, first_name="Many", last_name="Rows")
    for n in range(12):
        many.add_email(f"many{n}@example.org")
        many.add_phone(f"07911 1230{n:02d}")
        many.notes = f"edit {n}"
        many.save()
    many.notification_categories.add(*NotificationCategory.objects.all())
    many.tags.add(*(Tag.objects.create(name=f"tag {n}") for n in range(5)))
    assert get_contact_model().history.filter(id=many.pk).count() > 12

    assert _queries(many) == _queries(few) == 13


def test_a_key_no_contact_ever_had_is_refused(db):
    with pytest.raises(ContactError, match="no history"):
        subject_access_data(987654)
    with pytest.raises(ContactError):
        subject_access_data("abc")


# -- the command ----------------------------------------------------------------------------


def test_export_subject_data_prints_the_json(person):
    out = io.StringIO()
    call_command("export_subject_data", str(person.pk), stdout=out)
    document = json.loads(out.getvalue())
    assert document["contact_id"] == person.pk
    assert found(document, PERSONAL) == set(PERSONAL)


def test_export_subject_data_writes_a_file(person, tmp_path):
    target = tmp_path / "zebedee.json"
    err = io.StringIO()
    call_command("export_subject_data", str(person.pk), "--output", str(target), stdout=io.StringIO(), stderr=err)
    assert json.loads(target.read_text(encoding="utf-8"))["contact"]["last_name"] == LAST
    assert str(target) in err.getvalue()


def test_export_subject_data_refuses_an_unknown_contact(db):
    with pytest.raises(CommandError, match="no contact #987654"):
        call_command("export_subject_data", "987654", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("export_subject_data", "abc", stdout=io.StringIO())
