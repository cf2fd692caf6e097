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

On the million-contact database (``million.py`` builds it on first use), beside the
database's own speed for the same CSV — PostgreSQL's ``COPY (SELECT …) TO STDOUT`` of
the same columns; on MariaDB, which has no ``COPY`` to a client, the same ``SELECT``
fetched and written by ``csv.writer`` without the app — and the memory growth while
exporting every active contact (about 970,000 rows)::

    PYTHONPATH=. python benchmarks/export_benchmark.py --million bench_million_pg --db postgres

The target is at least half the rows per second of ``COPY``.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

if "--million" in sys.argv:
    import million

    _db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else "postgres"
    million.open_database(_db, sys.argv[sys.argv.index("--million") + 1])
else:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

    import django

    django.setup()

from django.db import connection
from django.test.utils import setup_test_environment
from django.utils import timezone

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.export import iterator_streams, write_csv
from django_customer_contacts.models import ContactEmail, ContactPhone, Tag

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


REFERENCE = """
SELECT (SELECT e.email FROM {email} e WHERE e.contact_id = c.id ORDER BY e.is_primary DESC, e.id LIMIT 1),
       c.first_name, c.last_name,
       (SELECT p.number FROM {phone} p WHERE p.contact_id = c.id ORDER BY p.is_primary DESC, p.id LIMIT 1),
       cu.name, c.job_title, c.language,
       (SELECT {tag_list} FROM {tagged} tc JOIN {tag} t ON t.id = tc.tag_id WHERE tc.contact_id = c.id),
       CASE WHEN c.marketing_consent THEN 'yes' ELSE 'no' END, c.marketing_consent_at,
       c.marketing_consent_source, c.id
FROM {contact} c JOIN {customer} cu ON cu.id = c.customer_id
WHERE c.is_active AND c.marketing_consent AND c.email_allowed
  AND EXISTS (SELECT 1 FROM {email} e WHERE e.contact_id = c.id)
ORDER BY c.id
"""


def reference_sql() -> str:
    """The consented export's columns in plain SQL: what ``COPY`` writes."""
    tag_list = {
        "postgresql": "string_agg(t.name, ', ' ORDER BY t.name)",
        "mysql": "GROUP_CONCAT(t.name ORDER BY t.name SEPARATOR ', ')",
    }.get(connection.vendor, "group_concat(t.name, ', ')")
    return REFERENCE.format(
        email=ContactEmail._meta.db_table,
        phone=ContactPhone._meta.db_table,
        tag_list=tag_list,
        tagged=Tag.contacts.through._meta.db_table,
        tag=Tag._meta.db_table,
        contact=get_contact_model()._meta.db_table,
        customer=get_customer_model()._meta.db_table,
    )


def reference_export() -> tuple[int, int]:
    """The database's own export of the same CSV: rows and bytes."""
    sql = reference_sql()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            size = 0
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    size += len(data)
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS q")
            return cursor.fetchone()[0], size
        cursor.execute(sql)
        sink = ByteCounter()
        writer = csv.writer(sink)
        rows = 0
        for row in cursor.fetchall():
            writer.writerow(row)
            rows += 1
        return rows, sink.chars


def peak_growth(run):
    """The peak memory growth (MiB, tracemalloc) while ``run()`` runs, and what it returned."""
    tracemalloc.start()
    baseline, _peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - baseline) / MIB, result


def timed(run, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs, and what a run returned."""
    times = []
    result = 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def million_main(options: argparse.Namespace) -> int:
    print(f"database: {connection.vendor} ({options.million}), consented contacts")
    if connection.vendor == "postgresql":
        # The COPY reference's count query is not part of its time.
        def copy_run() -> int:
            sink = 0
            copy_sql = f"COPY ({reference_sql()}) TO STDOUT WITH (FORMAT csv, HEADER)"
            with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
                for data in copy:
                    sink += len(data)
            return sink

        reference_rows = reference_export()[0]
        reference_run = copy_run
        label = "COPY (SELECT ...) TO STDOUT"
    else:
        reference_rows = reference_export()[0]

        def reference_run() -> int:
            return reference_export()[1]

        label = "same SELECT, fetched + csv.writer"
    # The app and the reference take turns, so that a change in the machine's load
    # weighs on both: the ratio is the median of each pair's.
    app_times, reference_times, ratios = [], [], []
    rows = 0
    for _ in range(options.repeat):
        reference_seconds, _size = timed(reference_run, 1)
        app_seconds, (rows, _chars) = timed(lambda: export(options.chunk_size), 1)
        app_times.append(app_seconds)
        reference_times.append(reference_seconds)
        ratios.append((rows / app_seconds) / (reference_rows / reference_seconds))
    assert rows == reference_rows, (rows, reference_rows)
    app_seconds, reference_seconds = statistics.median(app_times), statistics.median(reference_times)
    app_rate, reference_rate = rows / app_seconds, reference_rows / reference_seconds
    ratio = statistics.median(ratios)
    print(
        f"  app export     {rows:,} rows in {app_seconds:.2f} s = {app_rate:,.0f} rows/s (median of {options.repeat})"
    )
    print(f"  {label}: {reference_seconds:.2f} s = {reference_rate:,.0f} rows/s")
    verdict = "OK" if ratio >= 0.5 else "UNDER TARGET"
    pairs = ", ".join(f"{each:.2f}" for each in ratios)
    print(f"  ratio          {ratio:.2f}x, median of the runs' ({pairs}) (target >= 0.5x): {verdict}")

    if options.no_memory:
        return 0
    growth, every = peak_growth(lambda: write_csv(ByteCounter(), chunk_size=options.chunk_size))
    memory = "OK" if growth < TARGET_MIB else "OVER TARGET"
    print(
        f"  every active contact: {every:,} rows, peak memory growth {growth:.2f} MiB (target < {TARGET_MIB}): {memory}"
    )
    return 0 if growth < TARGET_MIB else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--chunk-size", type=int, default=1000, help="contacts per page (the export's default)")
    parser.add_argument("--million", metavar="NAME", help="use the million-contact database NAME (million.py)")
    parser.add_argument("--db", choices=["postgres", "mariadb"], help="with --million: the server")
    parser.add_argument("--repeat", type=int, default=3, help="with --million: timed runs (median)")
    parser.add_argument("--no-memory", action="store_true", help="with --million: skip the memory pass")
    options = parser.parse_args()
    if options.million:
        return million_main(options)

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
        reference_seconds, (reference_rows, _size) = timed(reference_export, 1)
        print(
            f"reference (the same SELECT, fetched + csv.writer): {reference_seconds:.1f} s = "
            f"{reference_rows / reference_seconds:,.0f} rows/s; ratio {reference_seconds / elapsed:.2f}x"
        )

        growth, _rows = peak_growth(lambda: export(options.chunk_size))
        verdict = "OK" if growth < TARGET_MIB else "OVER TARGET"
        print(
            f"peak memory growth during export (tracemalloc): {growth:.2f} MiB (target < {TARGET_MIB} MiB): {verdict}"
        )
        return 0 if growth < TARGET_MIB else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
