"""GDPR erasure: after ``anonymize_contact`` no table of the database holds the person."""

import json
from datetime import date

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import ErasureError
from django_customer_contacts.models import ContactEmail, ContactPhone, MergeRecord, NotificationCategory, Tag
from django_customer_contacts.services import anonymize_contact, enable_login, merge_contacts, record_communication

# Strings that appear nowhere else in a test database.
FIRST, MIDDLE, LAST = "Zebedee", "Ottoline", "Quimby-Fairweather"
EMAIL, OLD_EMAIL, MERGED_EMAIL = "zebedee.q@example.org", "zq@oldmail.example.org", "zeb@twin.example.org"
MOBILE, WORK = "+447911123456", "+442079460018"
PERSONAL = [
    FIRST,
    MIDDLE,
    LAST,
    "Zebs",  # the merged duplicate's first name
    "Zeppelin wrangler",  # job title
    "Prefers calls after 4",  # notes
    "1971-03-14",  # birthday
    EMAIL,
    OLD_EMAIL,
    MERGED_EMAIL,
    MOBILE,
    WORK,
    "7911123456",
    "+44 7911 123456",  # the international spelling, as the admin log shows it
]


def scan_database(needles):
    """Every (table, needle) where a cell of any table contains one of the needles."""
    found = []
    lowered = [needle.casefold() for needle in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor, include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    text = value.decode(errors="replace") if isinstance(value, bytes | memoryview) else str(value)
                    text = text.casefold()
                    found.extend((table, needle) for needle in lowered if needle in text)
    return sorted(set(found))


@pytest.fixture
def person(customer, make_contact, django_user_model):
    """A contact with a life: edits, several addresses, a merged duplicate and an admin log entry."""
    make_contact(customer, first_name="Ann", last_name="Other")  # the primary
    person = make_contact(
        customer,
        title="dr",
        first_name=FIRST,
        middle_name=MIDDLE,
        last_name=LAST,
        birthday=date(1971, 3, 14),
        job_title="Zeppelin wrangler",
        notes="Prefers calls after 4",
        timezone="Europe/London",
        language="en",
        marketing_consent=True,
        marketing_consent_source=f"web form signed by {FIRST} {LAST}",
    )
    old = person.add_email(OLD_EMAIL)
    person.add_email(EMAIL, primary=True)
    old.delete()
    person.add_phone("07911 123456")
    person.add_phone("020 7946 0018", kind="work")
    person.notification_categories.add(NotificationCategory.objects.get(code="billing"))
    person.tags.add(Tag.objects.create(name="VIP"))
    person.job_title = "Zeppelin wrangler"
    person.save()
    record_communication(person, channel="email")

    # A duplicate merged into the person: its rows are gone, its history and snapshot stay.
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    twin.add_email(MERGED_EMAIL)
    twin.add_phone(MOBILE)
    MergeRecord.objects.create(
        contact=person,
        merged_ids=[twin.pk],
        snapshots={
            str(twin.pk): {
                "fields": {"first_name": "Zebs", "last_name": LAST, "birthday": "1971-03-14"},
                "emails": [{"email": MERGED_EMAIL, "kind": "work", "is_primary": True}],
                "phones": [{"number": MOBILE, "kind": "mobile", "is_primary": True}],
            }
        },
        reason=f"Zebs {LAST} is the same person as {FIRST}",
    )
    twin.delete()

    LogEntry.objects.create(
        user=django_user_model.objects.create_user("staffer", password="pw"),
        content_type=ContentType.objects.get_for_model(get_contact_model(), for_concrete_model=False),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        # What the admin writes when an inline email and phone change with the contact.
        change_message=json.dumps(
            [
                {"changed": {"fields": ["First name"]}},
                {"added": {"name": "email address", "object": OLD_EMAIL}},
                {"deleted": {"name": "phone number", "object": "+44 7911 123456"}},
            ]
        ),
    )
    return person


def test_the_test_database_holds_the_person_before_erasure(person):
    # Proves the scan can see what the erasure must remove.
    assert {needle.casefold() for _table, needle in scan_database(PERSONAL)} == {n.casefold() for n in PERSONAL}


def test_after_erasure_no_table_holds_the_persons_names_addresses_or_numbers(person, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    anonymize_contact(person, user=clerk)
    assert scan_database(PERSONAL) == []


def test_the_row_stays_so_relations_hold(person):
    pk = person.pk
    history_rows = get_contact_model().history.filter(id=pk).count()
    anonymize_contact(person)
    person.refresh_from_db()
    assert person.pk == pk
    assert str(person) == f"Anonymised #{pk}"
    assert list(person.tags.values_list("name", flat=True)) == ["VIP"]
    assert person.merge_records.count() == 1
    # History keeps every change (scrubbed), plus the erasure itself.
    history = get_contact_model().history.filter(id=pk)
    assert history.count() == history_rows + 1
    assert history.latest().history_change_reason == "GDPR erasure"


def test_host_relations_hold(person):
    from django.apps import apps

    if apps.is_installed("tests.hostapp"):
        from tests.hostapp.models import Invoice

        invoice = Invoice.objects.create(number="INV-1", billing_contact=person)
        anonymize_contact(person)
        invoice.refresh_from_db()
        assert invoice.billing_contact_id == person.pk
    else:
        from tests.swapcrm.models import Ticket

        ticket = Ticket.objects.create(subject="Help", contact=person)
        anonymize_contact(person)
        ticket.refresh_from_db()
        assert ticket.contact_id == person.pk


def test_an_erased_contact_is_sent_nothing(person, customer):
    anonymize_contact(person)
    person.refresh_from_db()
    assert not person.emails.exists() and not person.phones.exists()
    assert not person.is_active
    assert not person.marketing_consent and person.marketing_consent_at is None
    assert not (person.email_allowed or person.sms_allowed or person.phone_allowed)
    assert not person.notification_categories.exists()
    Contact = get_contact_model()
    for channel in ("email", "sms", "phone"):
        assert person not in Contact.objects.recipients(customer, channel=channel)


def test_erasing_the_primary_keeps_it_primary_and_active(customer, make_contact):
    primary = make_contact(customer, first_name=FIRST, last_name=LAST)
    primary.add_email(EMAIL)
    anonymize_contact(primary)
    primary.refresh_from_db()
    assert primary.is_primary and primary.is_active
    assert scan_database([FIRST, LAST, EMAIL]) == []


def test_erasure_records_who_did_it(person, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    anonymize_contact(person, user=clerk)
    assert person.history.latest().history_user == clerk


def test_a_contact_with_a_user_account_is_refused_and_nothing_changes(person):
    user = enable_login(person)
    with pytest.raises(ErasureError, match="unlink_user=True"):
        anonymize_contact(person)
    person.refresh_from_db()
    assert person.first_name == FIRST
    assert person.user == user
    assert person.emails.filter(email=EMAIL).exists()


def test_unlink_user_erases_the_contact_and_leaves_the_account_to_the_host(person, django_user_model):
    user = enable_login(person)
    anonymize_contact(person, unlink_user=True)
    person.refresh_from_db()
    assert person.user is None
    assert django_user_model.objects.filter(pk=user.pk).exists()
    # Only the account, which the host erases itself, still holds the address.
    assert {table for table, _needle in scan_database(PERSONAL)} == {django_user_model._meta.db_table}


def test_erased_email_and_phone_history_is_scrubbed(person):
    email_ids = set(ContactEmail.history.filter(contact_id=person.pk).values_list("id", flat=True))
    anonymize_contact(person)
    assert email_ids
    assert set(ContactEmail.history.filter(id__in=email_ids).values_list("email", flat=True)) == {""}
    assert not ContactPhone.history.filter(contact_id=person.pk).exclude(number="").exists()


def test_merge_snapshots_are_blanked_and_reasons_cut(person):
    anonymize_contact(person)
    record = MergeRecord.objects.get(contact=person)
    snapshot = next(iter(record.snapshots.values()))
    assert snapshot["fields"] == {"first_name": "", "last_name": "", "birthday": ""}
    assert snapshot["emails"][0]["is_primary"] is True
    assert record.reason == "[erased] is the same person as [erased]"


def test_extra_fields_of_a_host_contact_model_are_erased_too(customer, make_contact):
    Contact = get_contact_model()
    if not hasattr(Contact, "loyalty_number"):
        pytest.skip("only the swapped scenario's contact model has an extra field")
    member = make_contact(customer, first_name=FIRST, last_name=LAST, loyalty_number="LOYAL-98765")
    anonymize_contact(member)
    assert scan_database(["LOYAL-98765", FIRST, LAST]) == []


def test_erasure_after_a_real_merge(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    main.add_email(EMAIL)
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    twin.add_email(MERGED_EMAIL)
    twin.add_phone(MOBILE)
    merge_contacts(main, [twin], reason="duplicate")
    anonymize_contact(main)
    assert scan_database([FIRST, LAST, "Zebs", EMAIL, MERGED_EMAIL, MOBILE]) == []


def test_unsaved_contact_is_refused(customer):
    with pytest.raises(ErasureError):
        anonymize_contact(get_contact_model()(customer=customer, last_name=LAST))
