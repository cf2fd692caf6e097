"""Merge two contacts whose duplicate has 100, 1,000 and 10,000 related rows — ours against
django-extensions' ``merge_model_instances``, on identical data.

    pip install -r benchmarks/requirements.txt
    python benchmarks/merge_benchmark.py --db sqlite
    python benchmarks/merge_benchmark.py --db postgres     # PG* variables, as the tests

The duplicate's rows are a third each foreign key rows, many-to-many links (a tenth of
them to events main attends too) and generic foreign key rows. Both contacts are
one-time contacts: django-extensions can't merge regular ones (see ``make_pair``). Each merge runs on fresh
data, best time of ``--repeat`` runs; "moved" checks that every row ended up on main.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(db: str) -> None:
    os.environ["BENCH_DB"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


@contextmanager
def counting_queries(connection):
    """Count statements with a cheap execute wrapper (no SQL kept, unlike DEBUG)."""
    counter = [0]

    def wrapper(execute, sql, params, many, context):
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


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
    Order.objects.bulk_create(Order(number=f"O-{i}", contact=dup) for i in range(fk))
    events = Event.objects.bulk_create(Event(title=f"E-{i}") for i in range(m2m))
    through = Event.attendees.through
    through.objects.bulk_create(through(event=event, contact=dup) for event in events)
    through.objects.bulk_create(through(event=event, contact=main) for event in events[: m2m // 10])
    content_type = ContentType.objects.get_for_model(contact_model)
    Note.objects.bulk_create(Note(text=f"N-{i}", content_type=content_type, object_id=dup.pk) for i in range(generic))
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


def ours(main, dup):
    from django_customer_contacts.services import merge_contacts

    merge_contacts(main, [dup])


def django_extensions(main, dup):
    from django_extensions.management.commands.merge_model_instances import Command

    Command(stdout=io.StringIO()).merge_model_instances(main, [dup])


def measure(merge, rows: int, repeat: int):
    from django.db import connection

    best, queries, moved = None, 0, True
    for _ in range(repeat):
        main, dup, expected = make_pair(rows)
        with counting_queries(connection) as counter:
            start = time.perf_counter()
            merge(main, dup)
            elapsed = time.perf_counter() - start
        moved = moved and all_moved(main, dup, expected)
        best = elapsed if best is None else min(best, elapsed)
        queries = counter[0]
    return best, queries, moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args()
    setup(args.db)

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        ours(*make_pair(1)[:2])  # warm caches (content types, backend features)
        header = (
            f"{'related rows':>12} | {'merge_contacts':>14} | {'queries':>7} | {'moved':>5} | "
            f"{'django-extensions':>17} | {'queries':>7} | {'moved':>5} | {'faster':>7}"
        )
        print(f"{connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}".strip())
        print(header)
        print("-" * len(header))
        for rows in args.rows:
            our_time, our_queries, our_moved = measure(ours, rows, args.repeat)
            ext_time, ext_queries, ext_moved = measure(django_extensions, rows, args.repeat)
            print(
                f"{rows:>12,} | {our_time * 1000:>11.1f} ms | {our_queries:>7,} | {'yes' if our_moved else 'NO':>5} | "
                f"{ext_time * 1000:>14.1f} ms | {ext_queries:>7,} | {'yes' if ext_moved else 'NO':>5} | "
                f"{ext_time / our_time:>6.0f}x",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
