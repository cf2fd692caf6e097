"""Time ``find_duplicate_contacts()`` at scale, beside the exact-only detection of 0.1.

    python benchmarks/duplicates_benchmark.py --db postgres                       # 100,000 contacts
    python benchmarks/duplicates_benchmark.py --db mariadb --contacts 100000 --big 20000
    python benchmarks/duplicates_benchmark.py --db postgres --contacts 1000000 --legacy-timeout 120
    CUSTOMER_CONTACTS_TEST_DB_NAME=dupes_100k python benchmarks/duplicates_benchmark.py --keep  # again: no writing
    python benchmarks/duplicates_benchmark.py --db postgres --contacts 100000 --copies 10 --keep  # 1,000,000

The contacts are ``duplicates_data.generate()``'s (names from common and rare ones,
birthdays, an email and a mobile each mostly, families sharing a landline, a third of
the people with a corrupted duplicate), dealt out ``--per-customer`` (10) to a customer:
``--contacts`` 100,000 are 10,000 customers. ``--big`` adds one customer with that
many contacts (20,000): its blocks are the largest. Times are the best of
``--repeat`` runs, each of the whole call that a list page makes — the candidate
query, the comparisons, the groups with their names — and, apart, reading the model
instances of every group (``group.contacts``), which only a caller that asks pays for.

``--copies`` N writes the ``--contacts`` through the ORM once, then copies customers,
contacts, addresses and numbers N - 1 times more in SQL (``INSERT … SELECT`` with the
ids shifted): N times the contacts in N times the customers, alike, in minutes rather
than the ORM's hour for a million.

"0.1 exact" is the previous release's detection (``legacy_duplicates.py``: its
recursive grouping query and ``in_bulk()``), run once under a statement timeout of
``--legacy-timeout`` seconds; "exact" is today's ``exact=True`` on the stored keys.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from duplicates_data import Row, generate  # noqa: E402
from merge_benchmark import setup  # noqa: E402

#: The vocabulary of names (see ``duplicates_data.vocabulary``): set by --names.
NAMES = "large"


def rows_for(contacts: int, seed: int) -> list[Row]:
    """About ``contacts`` generated rows (duplicates included), cut to exactly that many."""
    rows: list[Row] = []
    people = int(contacts / 1.45) + 10
    while len(rows) < contacts:
        for customer in generate(seed, people=people, sizes=(10, 40), names=NAMES):
            rows.extend(customer)
        seed += 1000
    return rows[:contacts]


def populate(contacts: int, per_customer: int, big: int, batch: int = 5_000) -> None:
    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone
    from django_customer_contacts.normalize import email_key, name_key, parse_phone

    customer_model, contact_model = get_customer_model(), get_contact_model()
    plan: list[tuple[int, list[Row]]] = []
    rows = rows_for(contacts, seed=7)
    plan += [(per_customer, rows)]
    if big:
        plan += [(big, rows_for(big, seed=8))]
    for size, all_rows in plan:
        big_customer = customer_model.objects.create(name="Big customer") if size == big else None
        for start in range(0, len(all_rows), batch):
            chunk = all_rows[start : start + batch]
            customers = (
                [big_customer]
                if big_customer is not None
                else customer_model.objects.bulk_create(
                    customer_model(name=f"Customer {(start + i) // size}") for i in range(0, len(chunk), size)
                )
            )
            people = []
            for offset, row in enumerate(chunk):
                contact = contact_model(
                    customer=customers[0] if big_customer is not None else customers[offset // size],
                    first_name=row.first_name,
                    middle_name=row.middle_name,
                    last_name=row.last_name,
                    birthday=row.birthday,
                )
                contact.name_key = name_key(contact.full_name)
                contact.set_match_keys()
                people.append(contact)
            people = contact_model.objects.bulk_create(people)
            emails, phones = [], []
            for contact, row in zip(people, chunk, strict=True):
                for index, address in enumerate(dict.fromkeys(row.emails)):
                    emails.append(
                        ContactEmail(
                            contact=contact,
                            email=address.strip(),
                            email_normalized=email_key(address),
                            is_primary=not index,
                        )
                    )
                seen = set()
                for index, (number, kind) in enumerate(row.phones):
                    parsed = parse_phone(number)
                    if parsed is None or parsed.as_e164 in seen:
                        continue
                    seen.add(parsed.as_e164)
                    phones.append(ContactPhone(contact=contact, number=parsed.as_e164, kind=kind, is_primary=not index))
            ContactEmail.objects.bulk_create(emails)
            ContactPhone.objects.bulk_create(phones)


def copy_in_sql(copies: int) -> None:
    """Customers, contacts, addresses and numbers copied ``copies - 1`` times more, each
    copy's ids shifted past the previous ones' (``INSERT … SELECT``, one per table and copy)."""
    from django.core.management.color import no_style
    from django.db import connection

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone

    quote = connection.ops.quote_name
    tables = [
        (get_customer_model(), {}),
        (get_contact_model(), {"customer": 0}),
        (ContactEmail, {"contact": 1}),
        (ContactPhone, {"contact": 1}),
    ]
    with connection.cursor() as cursor:
        shifts = []
        for model, _fks in tables:
            cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)}")
            shifts.append(cursor.fetchone()[0] or 0)
        for copy in range(1, copies):
            for number, (model, fks) in enumerate(tables):
                columns, values = [], []
                for field in model._meta.concrete_fields:
                    if getattr(field, "generated", False):
                        continue
                    column = quote(field.column)
                    columns.append(column)
                    if field.primary_key:
                        values.append(f"{column} + {shifts[number] * copy}")
                    elif field.name in fks:
                        values.append(f"{column} + {shifts[fks[field.name]] * copy}")
                    else:
                        values.append(column)
                table = quote(model._meta.db_table)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} "
                    f"WHERE {quote(model._meta.pk.column)} <= {shifts[number]}"
                )
        for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _fks in tables]):
            cursor.execute(sql)


def best_of(repeat: int, call):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def timed_out(connection, seconds: int, call):
    """``call()``'s time and result, or ``(None, None)`` past the statement timeout."""
    from django.db import DatabaseError

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET statement_timeout = {seconds * 1000}")
        elif connection.vendor == "mysql":
            cursor.execute(f"SET SESSION max_statement_time = {seconds}")
    timer = None
    if connection.vendor == "sqlite":  # no statement timeout: interrupt it from a timer
        import threading

        connection.ensure_connection()
        timer = threading.Timer(seconds, connection.connection.interrupt)
        timer.start()
    start = time.perf_counter()
    try:
        result = call()
    except DatabaseError:
        return None, None
    finally:
        if timer is not None:
            timer.cancel()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET statement_timeout = 0")
            elif connection.vendor == "mysql":
                cursor.execute("SET SESSION max_statement_time = 0")
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mariadb"], default="postgres")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--per-customer", type=int, default=10)
    parser.add_argument("--big", type=int, default=0, help="also one customer with this many contacts")
    parser.add_argument("--copies", type=int, default=1, help="the --contacts this many times (see above)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--names", choices=["large", "small"], default="large", help="name vocabulary (see duplicates_data.py)"
    )
    parser.add_argument("--legacy-timeout", type=int, default=60, help="seconds (0: skip the 0.1 detection)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database for the next run, and reuse the one a previous --keep run left "
        "(populated only when empty: give a CUSTOMER_CONTACTS_TEST_DB_NAME per size)",
    )
    args = parser.parse_args()
    global NAMES
    NAMES = args.names
    setup(args.db)

    from django.db import connection
    from django.db.models import Count
    from legacy_duplicates import find_duplicate_contacts as legacy_find

    from django_customer_contacts import get_contact_model
    from django_customer_contacts.services import find_duplicate_contacts

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep)
    try:
        start = time.perf_counter()
        if not get_contact_model().objects.exists():
            populate(args.contacts, args.per_customer, args.big)
            if args.copies > 1:
                copy_in_sql(args.copies)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: index-only scans work
            elif connection.vendor == "mysql":
                for table in (
                    "customer_contacts_contact",
                    "customer_contacts_contactemail",
                    "customer_contacts_contactphone",
                ):
                    cursor.execute(f"ANALYZE TABLE {table}")
        total = get_contact_model().objects.count()
        print(
            f"{connection.vendor} {connection.Database.__name__}: {total:,} contacts "
            f"({args.contacts:,} by {args.per_customer}{f' + one customer with {args.big:,}' if args.big else ''}"
            f"{f', {args.copies} times' if args.copies > 1 else ''}) "
            f"written (or kept) in {time.perf_counter() - start:.0f} s",
            flush=True,
        )

        from django_customer_contacts.models import DuplicateChange, DuplicateScan

        contact_model = get_contact_model()
        regular = contact_model.objects.regular()

        def listing(*args, **kwargs):
            groups = find_duplicate_contacts(*args, **kwargs)
            for group in groups:
                group.names  # what a list page shows  # noqa: B018
            return groups

        def forget(**scope):
            DuplicateScan.objects.filter(**scope).delete()
            DuplicateChange.objects.filter(**scope).delete()

        big = (
            contact_model.objects.values("customer_id").annotate(n=Count("pk")).order_by("-n")[0]["customer_id"]
            if args.big
            else None
        )
        # The search itself (an explicit queryset: nothing stored, nothing read back).
        scored, groups = best_of(args.repeat, lambda: listing(regular))
        read_start = time.perf_counter()
        instances = sum(len(group.contacts) for group in find_duplicate_contacts(regular))
        with_instances = time.perf_counter() - read_start
        # Through the stored answers: the first search finds and stores every customer's
        # groups; the next ones read them back; after a change, the changed customers'
        # groups are found again.
        forget()
        first, _first_groups = best_of(1, listing)
        stored, stored_groups = best_of(args.repeat, listing)
        assert [g.contact_ids for g in stored_groups] == [g.contact_ids for g in groups], "stored != found"

        changed_customers = 100

        def touch_and_list():
            customers = list(
                DuplicateScan.objects.order_by("?").values_list("customer_id", flat=True)[:changed_customers]
            )
            for customer_id in customers:
                contact_model.objects.filter(customer_id=customer_id).first().save()
            start = time.perf_counter()
            listing()
            return time.perf_counter() - start

        changed = min(touch_and_list() for _ in range(args.repeat))
        exact, exact_groups = best_of(args.repeat, lambda: listing(exact=True))
        exact_read_start = time.perf_counter()
        exact_instances = sum(len(group.contacts) for group in find_duplicate_contacts(exact=True))
        exact_with_instances = time.perf_counter() - exact_read_start
        for label, found, elapsed, read, read_elapsed in (
            ("scored:   ", groups, scored, instances, with_instances),
            ("exact:    ", exact_groups, exact, exact_instances, exact_with_instances),
        ):
            with_read = f"with the {read:,} instances {read_elapsed * 1000:,.0f} ms"
            print(f"{label} {len(found):,} groups, {elapsed * 1000:,.0f} ms; {with_read}", flush=True)
        print(
            f"stored:    {len(stored_groups):,} groups; first search (finds, stores) {first * 1000:,.0f} ms; "
            f"read back {stored * 1000:,.0f} ms; after {changed_customers} customers changed {changed * 1000:,.0f} ms",
            flush=True,
        )
        if big is not None:
            mine = regular.filter(customer_id=big)
            big_scored, big_groups = best_of(args.repeat, lambda: listing(mine))
            forget(customer_id=big)
            big_first, _ = best_of(1, lambda: listing(customer=big))
            big_stored, big_stored_groups = best_of(args.repeat, lambda: listing(customer=big))
            assert [g.contact_ids for g in big_stored_groups] == [g.contact_ids for g in big_groups]
            print(
                f"customer with {mine.count():,} contacts: {len(big_groups):,} groups, searched "
                f"{big_scored * 1000:,.0f} ms; stored: first {big_first * 1000:,.0f} ms, "
                f"read back {big_stored * 1000:,.0f} ms",
                flush=True,
            )
        if args.legacy_timeout:
            elapsed, legacy_groups = timed_out(connection, args.legacy_timeout, legacy_find)
            if elapsed is None:
                print(f"0.1 exact: stopped after the {args.legacy_timeout} s statement timeout", flush=True)
            else:
                print(
                    f"0.1 exact: {len(legacy_groups):,} groups, {elapsed * 1000:,.0f} ms (instances included)",
                    flush=True,
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keep)


if __name__ == "__main__":
    main()
