"""Benchmark the streaming CSV export: peak memory growth and rows per second.

Creates a throw-away test database (the database of ``tests.settings``: SQLite in memory
by default; set ``CUSTOMER_CONTACTS_TEST_DB=postgres`` or ``mariadb`` for a server, and
``CUSTOMER_CONTACTS_TEST_DB_NAME`` to keep clear of other runs), fills it with contacts
that gave marketing consent, each with an email, a mobile number and a tag, and exports
them with ``--consented`` semantics to a sink that only counts bytes.

Run from the repository root::

    PYTHONPATH=. python benchmarks/export_benchmark.py [--contacts 200000] [--chunk-size 1000]

Two passes: one timed without tracing (rows per second), one under ``tracemalloc``
(peak memory growth over the state before the export). The target is a growth under
10 MiB for 200,000 contacts: memory must not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from django_customer_contacts import get_contact_model, get_customer_model  # noqa: E402
from django_customer_contacts.export import iterator_streams, write_csv  # noqa: E402
from django_customer_contacts.models import ContactEmail, ContactPhone, Tag  # noqa: E402

MIB = 1024 * 1024
TARGET_MIB = 10


class ByteCounter:
    """A text sink that keeps nothing: the benchmark measures the export, not the output."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> None:
        self.chars += len(text)


def populate(count: int, batch: int = 5000) -> None:
    Contact = get_contact_model()
    customers = get_customer_model().objects.bulk_create(
        [get_customer_model()(name=f"Customer {index}") for index in range(max(1, count // 20))]
    )
    customer_ids = list(get_customer_model().objects.order_by("pk").values_list("pk", flat=True))
    del customers
    now = timezone.now()
    for start in range(0, count, batch):
        Contact.objects.bulk_create(
            [
                Contact(
                    customer_id=customer_ids[index % len(customer_ids)],
                    first_name=f"First{index}",
                    last_name=f"Last{index}",
                    job_title="Buyer",
                    language="en",
                    email_allowed=True,
                    sms_allowed=True,
                    phone_allowed=True,
                    marketing_consent=True,
                    marketing_consent_at=now,
                    marketing_consent_source="web form",
                )
                for index in range(start, min(start + batch, count))
            ]
        )
    contact_ids = Contact.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=batch)
    tag = Tag.objects.create(name="Newsletter")
    Through = Tag.contacts.through
    contact_column = Tag.contacts.field.m2m_reverse_field_name()
    page: list[int] = []

    def flush(ids: list[int]) -> None:
        ContactEmail.objects.bulk_create(
            [
                ContactEmail(
                    contact_id=pk, email=f"c{pk}@example.com", email_normalized=f"c{pk}@example.com", is_primary=True
                )
                for pk in ids
            ]
        )
        ContactPhone.objects.bulk_create(
            [
                ContactPhone(contact_id=pk, number=f"+4479{pk % 100000000:08d}", kind="mobile", is_primary=True)
                for pk in ids
            ]
        )
        Through.objects.bulk_create([Through(tag_id=tag.pk, **{f"{contact_column}_id": pk}) for pk in ids])

    for pk in contact_ids:
        page.append(pk)
        if len(page) == batch:
            flush(page)
            page = []
    if page:
        flush(page)
    if connection.vendor != "sqlite":
        # What autovacuum (PostgreSQL) or InnoDB's automatic statistics do after a bulk
        # load: a planner without statistics is not what production sees.
        with connection.cursor() as cursor:
            tables = [
                Contact._meta.db_table,
                ContactEmail._meta.db_table,
                ContactPhone._meta.db_table,
                Through._meta.db_table,
            ]
            for table in tables:
                cursor.execute(
                    f"ANALYZE {'' if connection.vendor == 'postgresql' else 'TABLE '}{connection.ops.quote_name(table)}"
                )


def export(chunk_size: int) -> tuple[int, int]:
    sink = ByteCounter()
    rows = write_csv(sink, consented=True, chunk_size=chunk_size)
    return rows, sink.chars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--chunk-size", type=int, default=1000, help="contacts per page (the export's default)")
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        populate(options.contacts)
        created_in = time.perf_counter() - started
        how = "iterator()" if iterator_streams(connection.alias) else "pages by primary key"
        print(f"database: {connection.vendor}, {options.contacts:,} contacts created in {created_in:.1f} s")
        print(f"reading: {how}, {options.chunk_size} contacts a page")

        started = time.perf_counter()
        rows, chars = export(options.chunk_size)
        elapsed = time.perf_counter() - started
        assert rows == options.contacts, (rows, options.contacts)
        print(f"export: {rows:,} rows, {chars / MIB:.1f} MiB of CSV in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s")

        tracemalloc.start()
        baseline, _peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        export(options.chunk_size)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        growth = (peak - baseline) / MIB
        verdict = "OK" if growth < TARGET_MIB else "OVER TARGET"
        print(
            f"peak memory growth during export (tracemalloc): {growth:.2f} MiB (target < {TARGET_MIB} MiB): {verdict}"
        )
        return 0 if growth < TARGET_MIB else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
