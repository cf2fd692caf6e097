"""Merge a contact whose duplicate has 10,000 and 100,000 related rows: ``merge_contacts``
beside the hand-written minimum SQL and django-extensions' ``merge_model_instances``,
on identical data, in one run.

    pip install -r benchmarks/requirements.txt
    python benchmarks/merge_benchmark.py --db sqlite
    python benchmarks/merge_benchmark.py --db postgres     # PG* variables, as the tests
    python benchmarks/merge_benchmark.py --db mariadb      # MYSQL_* variables, as the tests

``CUSTOMER_CONTACTS_TEST_DB_NAME`` names the throw-away database (created, then dropped).

The duplicate's rows are a third each foreign key rows, many-to-many links (a tenth of
them to events main attends too) and generic foreign key rows. Both contacts are
one-time contacts: django-extensions can't merge regular ones (see ``make_pair``).

Three ways of doing the same merge, each on fresh data, interleaved, ``--repeat`` times;
the median is printed:

``merge_contacts``
    the app: locks, plan, record, history, the moves, the deletes, the signal.
``minimum SQL``
    the least any merge must do, written by hand: in one transaction, the links main
    already has deleted, one ``UPDATE`` per relation to the contact model, the duplicate
    deleted. No locks, no record, no history.
``django-extensions``
    ``merge_model_instances``, which saves row by row (only up to ``--extensions-rows``
    related rows: it takes minutes beyond). Compare on Django 5.2: on Django 6.1
    django-extensions 4.1 skips generic foreign key rows without a word, which makes it
    look faster than it is — "moved" says so.

Each pair is built, then the tables analysed (``ANALYZE``), as a database in use is;
the benchmark's rows are deleted after each merge, so every run starts from the same
tables. "moved" checks that every row ended up on main and the duplicate is gone.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import describe, setup  # noqa: E402


@contextmanager
def counting_queries(connection):
    """Count statements with a cheap execute wrapper (no SQL kept, unlike DEBUG)."""
    counter = [0]

    def wrapper(execute, sql, params, many, context):
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def bench_tables() -> list[str]:
    from benchmarks.benchapp.models import Event, Note, Order

    return [Order._meta.db_table, Event.attendees.through._meta.db_table, Event._meta.db_table, Note._meta.db_table]


def analyze() -> None:
    """Fresh statistics for the tables a merge reads, as autovacuum / a DBA keeps them."""
    from django.db import connection

    from django_customer_contacts import get_contact_model

    tables = [*bench_tables(), get_contact_model()._meta.db_table]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(quote(t) for t in tables))
        elif connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE " + ", ".join(quote(t) for t in tables))
            cursor.fetchall()
        else:
            cursor.execute("ANALYZE")


def clean_up() -> None:
    """Delete the benchmark's rows (not the contacts): each run starts from the same tables."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in bench_tables():
            cursor.execute(f"DELETE FROM {quote(table)}")
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM " + ", ".join(quote(t) for t in bench_tables()))


def make_pair(rows: int):
    from django.contrib.contenttypes.models import ContentType

    from benchmarks.benchapp.models import Event, Note, Order
    from django_customer_contacts import get_contact_model, get_customer_model

    contact_model = get_contact_model()
    customer = get_customer_model().objects.create(name="Bench Ltd")
    # One-time contacts (scoped to the customer): on regular contacts django-extensions
    # fails — it sets main's empty generic foreign key ``scope`` to None, which the
    # NOT NULL ``scope_object_id`` refuses.
    main = contact_model.objects.create(customer=customer, first_name="Jane", last_name="Smith", scope=customer)
    dup = contact_model.objects.create(
        customer=customer, first_name="Jane", last_name="Smith", job_title="CFO", scope=customer
    )
    fk, m2m = rows // 3, rows // 3
    generic = rows - fk - m2m
    batch = 5000
    Order.objects.bulk_create((Order(number=f"O-{i}", contact=dup) for i in range(fk)), batch_size=batch)
    events = Event.objects.bulk_create((Event(title=f"E-{i}") for i in range(m2m)), batch_size=batch)
    through = Event.attendees.through
    through.objects.bulk_create((through(event=event, contact=dup) for event in events), batch_size=batch)
    through.objects.bulk_create((through(event=event, contact=main) for event in events[: m2m // 10]), batch_size=batch)
    content_type = ContentType.objects.get_for_model(contact_model)
    Note.objects.bulk_create(
        (Note(text=f"N-{i}", content_type=content_type, object_id=dup.pk) for i in range(generic)), batch_size=batch
    )
    analyze()
    return main, dup, (fk, m2m, generic)


def all_moved(main, dup, expected) -> bool:
    from django.contrib.contenttypes.models import ContentType

    from benchmarks.benchapp.models import Note, Order
    from django_customer_contacts import get_contact_model

    contact_model = get_contact_model()
    content_type = ContentType.objects.get_for_model(contact_model)
    found = (
        Order.objects.filter(contact=main).count(),
        main.bench_events.count(),
        Note.objects.filter(content_type=content_type, object_id=main.pk).count(),
    )
    return found == expected and not contact_model.objects.filter(pk=dup.pk).exists()


# -- the three merges ----------------------------------------------------------------------


def ours(main, dup) -> None:
    from django_customer_contacts.services import merge_contacts

    merge_contacts(main, [dup])


def minimum_sql(main, dup) -> None:
    """One transaction: the links main has already deleted, one UPDATE per relation, the DELETE.

    The statements are spelled out from the model metadata (table and column names),
    for every relation to the contact model — the app's own (emails, phones, tags,
    categories, merge records, …) and the benchmark's — as someone writing the merge by
    hand for this schema would.
    """
    from django.contrib.contenttypes.fields import GenericForeignKey
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, models, transaction

    from django_customer_contacts import get_contact_model

    model = get_contact_model()
    quote = connection.ops.quote_name
    statements: list[tuple[str, list[Any]]] = []
    through_tables = set()
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.many_to_many:
            through = rel.remote_field.through if isinstance(rel, models.ManyToManyField) else rel.through
            through_tables.add(through)
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.concrete or not rel.auto_created or rel.many_to_many or not isinstance(rel.field, models.ForeignKey):
            continue
        if rel.related_model._meta.label_lower.startswith("customer_contacts.historical"):
            continue
        table, column = quote(rel.related_model._meta.db_table), quote(rel.field.column)
        if rel.related_model in through_tables:
            other = next(
                f for f in rel.related_model._meta.concrete_fields if f.is_relation and f is not rel.field
            ).column
            statements.append(
                (
                    f"DELETE FROM {table} WHERE {column} = %s AND {quote(other)} IN "
                    f"(SELECT {quote(other)} FROM {table} WHERE {column} = %s)",
                    [dup.pk, main.pk],
                )
            )
        statements.append((f"UPDATE {table} SET {column} = %s WHERE {column} = %s", [main.pk, dup.pk]))
    content_type = ContentType.objects.get_for_model(model).pk
    from django.apps import apps

    for candidate in apps.get_models():
        if candidate._meta.label_lower.startswith("customer_contacts.historical"):
            continue
        for gfk in candidate._meta.private_fields:
            if isinstance(gfk, GenericForeignKey):
                table = quote(candidate._meta.db_table)
                ct = quote(candidate._meta.get_field(gfk.ct_field).column)
                oid_field = candidate._meta.get_field(gfk.fk_field)
                oid = quote(oid_field.column)
                statements.append(
                    (
                        f"UPDATE {table} SET {oid} = %s WHERE {ct} = %s AND {oid} = %s",
                        [oid_field.to_python(main.pk), content_type, oid_field.to_python(dup.pk)],
                    )
                )
    contacts, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    statements.append((f"DELETE FROM {contacts} WHERE {pk} = %s", [dup.pk]))
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def django_extensions(main, dup) -> None:
    from django_extensions.management.commands.merge_model_instances import Command

    Command(stdout=io.StringIO()).merge_model_instances(main, [dup])


MERGES: dict[str, Callable[[Any, Any], None]] = {
    "merge_contacts": ours,
    "minimum SQL": minimum_sql,
    "django-extensions": django_extensions,
}


def measure_once(merge: Callable[[Any, Any], None], rows: int) -> tuple[float, int, bool]:
    from django.db import connection

    main, dup, expected = make_pair(rows)
    with counting_queries(connection) as counter:
        start = time.perf_counter()
        merge(main, dup)
        elapsed = time.perf_counter() - start
    moved = all_moved(main, dup, expected)
    clean_up()
    return elapsed, counter[0], moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--extensions-rows",
        type=int,
        default=10_000,
        help="run django-extensions only up to this many related rows (default 10,000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="median of this many runs (default 3)")
    args = parser.parse_args()
    setup(args.db)

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        ours(*make_pair(1)[:2])  # warm caches (content types, backend features)
        clean_up()
        load = os.getloadavg()[0]
        print(f"{describe(connection)}, median of {args.repeat} runs, load average {load:.2f} at the start")
        header = f"{'related rows':>12} | {'merge':<17} | {'median':>10} | {'runs':<26} | {'queries':>7} | {'moved':>5}"
        print(header)
        print("-" * len(header))
        for rows in args.rows:
            names = [name for name in MERGES if name != "django-extensions" or rows <= args.extensions_rows]
            runs: dict[str, list[float]] = {name: [] for name in names}
            queries: dict[str, int] = {}
            moved: dict[str, bool] = dict.fromkeys(names, True)
            for _ in range(args.repeat):
                for name in names:
                    elapsed, count, ok = measure_once(MERGES[name], rows)
                    runs[name].append(elapsed)
                    queries[name] = count
                    moved[name] = moved[name] and ok
            medians = {name: statistics.median(times) for name, times in runs.items()}
            for name in names:
                spread = ", ".join(f"{t * 1000:.0f}" for t in sorted(runs[name]))
                print(
                    f"{rows:>12,} | {name:<17} | {medians[name] * 1000:>7.1f} ms | {spread + ' ms':<26} | "
                    f"{queries[name]:>7,} | {'yes' if moved[name] else 'NO':>5}"
                )
            ratio = medians["merge_contacts"] / medians["minimum SQL"]
            line = f"{rows:>12,} | merge_contacts / minimum SQL = {ratio:.2f}x (target <= 1.5x)"
            if "django-extensions" in medians:
                line += (
                    f"; django-extensions / merge_contacts = "
                    f"{medians['django-extensions'] / medians['merge_contacts']:.0f}x (target >= 50x)"
                )
            print(line, flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
