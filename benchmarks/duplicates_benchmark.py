"""Time ``find_duplicate_contacts()`` over 100,000 contacts.

    python benchmarks/duplicates_benchmark.py --db postgres
    python benchmarks/duplicates_benchmark.py --db sqlite --contacts 20000

10 contacts per customer, each with one email and one phone; about 3% of the contacts
repeat a sibling's email (in other letter case), 3% a sibling's phone and 3% a sibling's
name (with other accents and case), so groups also chain across keys. Prints the best
of ``--repeat`` runs of the whole call (the grouping query and reading the contacts),
and of the grouping query alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from merge_benchmark import setup  # noqa: E402

FIRST = ["Jane", "José", "Ana", "Björn", "Zoë", "Li", "Omar", "Chloé", "Raj", "Eva", "Noé", "Ida"]
LAST = ["Smith", "Álvarez", "Müller", "O'Brien", "Nguyen", "Kowalski", "Dubois", "Rossi", "Svensson"]


def populate(contacts: int, batch: int = 5_000) -> None:
    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone
    from django_customer_contacts.normalize import name_key

    rng = random.Random(42)
    customer_model, contact_model = get_customer_model(), get_contact_model()
    customers = customer_model.objects.bulk_create(customer_model(name=f"Customer {i}") for i in range(contacts // 10))
    for start in range(0, contacts, batch):
        people = []
        for i in range(start, min(start + batch, contacts)):
            first = f"{rng.choice(FIRST)}{i}"  # unique names, but for the copies below
            last = rng.choice(LAST)
            if i % 10 and rng.random() < 0.03:
                first, last = people[-1].first_name.upper(), people[-1].last_name.lower()
            people.append(
                contact_model(
                    customer=customers[i // 10],
                    first_name=first,
                    last_name=last,
                    name_key=name_key(f"{first} {last}"),
                )
            )
        people = contact_model.objects.bulk_create(people)
        emails, phones = [], []
        for offset, person in enumerate(people):
            i = start + offset
            address = f"person{i}@example.com"
            number = f"+4479{10000000 + i:08d}"
            if i % 10 and rng.random() < 0.03:
                address = emails[-1].email.upper()
            if i % 10 and rng.random() < 0.03:
                number = str(phones[-1].number)
            emails.append(
                ContactEmail(contact=person, email=address, email_normalized=address.lower(), is_primary=True)
            )
            phones.append(ContactPhone(contact=person, number=number, is_primary=True))
        ContactEmail.objects.bulk_create(emails)
        ContactPhone.objects.bulk_create(phones)


def best_of(repeat: int, call):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup(args.db)

    from django.db import connection

    from django_customer_contacts.services import find_duplicate_contacts

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        populate(args.contacts)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{connection.vendor}: {args.contacts:,} contacts written in {time.perf_counter() - start:.1f} s")

        total, groups = best_of(args.repeat, find_duplicate_contacts)
        query_only, _ = best_of(args.repeat, _grouping_query)
        in_groups = sum(len(group.contacts) for group in groups)
        reasons = {reason: sum(reason in group.reasons for group in groups) for reason in ("email", "phone", "name")}
        print(f"{len(groups):,} groups, {in_groups:,} contacts in them, groups by reason: {reasons}")
        print(f"find_duplicate_contacts(): {total * 1000:.0f} ms (best of {args.repeat})")
        print(f"grouping query alone:      {query_only * 1000:.0f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _grouping_query():
    """The grouping query without reading the contacts: ``in_bulk`` stubbed out."""
    from unittest import mock

    from django.db.models import QuerySet

    from django_customer_contacts.services import find_duplicate_contacts

    with mock.patch.object(QuerySet, "in_bulk", lambda self, ids: {pk: _Stub(pk) for pk in ids}):
        return find_duplicate_contacts()


class _Stub:
    def __init__(self, pk):
        self.pk = pk


if __name__ == "__main__":
    main()
