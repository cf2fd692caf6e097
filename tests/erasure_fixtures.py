"""The person the GDPR tests plant: erasure must remove every value, the subject-access export hold every one."""

import json
from datetime import date

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import MergeRecord, NotificationCategory, Tag
from django_customer_contacts.services import record_communication

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


def plant_person(customer, make_contact, django_user_model):
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
