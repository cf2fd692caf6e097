"""Switch a customer's primary contact: ``set_primary_contact()`` beside the minimum SQL,
on one worker and under 8 contending workers, in one run.

    pip install -r benchmarks/requirements.txt
    python benchmarks/primary_benchmark.py --db postgres    # PG* variables, as the tests
    python benchmarks/primary_benchmark.py --db mariadb     # MYSQL_* variables, as the tests
    python benchmarks/primary_benchmark.py --db sqlite      # one worker only: no row locks

``CUSTOMER_CONTACTS_TEST_DB_NAME`` names the throw-away database (created, then dropped).

One customer with ``--contacts`` contacts; every switch makes another of them primary.

``set_primary_contact``
    the app: locks the customer, then the contact and the old primary; checks; two
    ``UPDATE`` statements; both history rows; ``primary_contact_changed``.
``minimum SQL``
    the least a correct switch does, written by hand: in one transaction, lock the
    customer row, demote the primary, promote the contact (two ``UPDATE`` statements:
    the database allows one primary at any moment). No checks, no history, no signal.

One worker: switches per second, the median of ``--repeat`` runs of ``--switches``
each, the two interleaved in blocks of ``--block`` switches (so that both see the same
load on a shared machine). Contending workers (PostgreSQL and MariaDB): ``--workers``
threads, one connection each, switch the same customer's primary ``--switches`` times
in all, while one more thread counts the customer's primaries over and over; printed:
switches per second, errors (any exception), and the reads that did not see exactly
one primary (and the final state).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import describe, setup  # noqa: E402


def make_customer(contacts: int) -> tuple[Any, list[Any]]:
    from django_customer_contacts import get_contact_model, get_customer_model

    customer = get_customer_model().objects.create(name="Primary Ltd")
    model = get_contact_model()
    people = [model.objects.create(customer=customer, first_name=f"P{i}", last_name="Bench") for i in range(contacts)]
    return customer, people


def ours(customer: Any, contact: Any) -> None:
    from django_customer_contacts.services import set_primary_contact

    set_primary_contact(contact)


def minimum_sql(customer: Any, contact: Any) -> None:
    from django.db import connection, transaction

    from django_customer_contacts import get_contact_model, get_customer_model

    quote = connection.ops.quote_name
    customers = quote(get_customer_model()._meta.db_table)
    contacts = quote(get_contact_model()._meta.db_table)
    # The same lock the app takes on the customer row.
    lock = "FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "FOR UPDATE"
    if connection.vendor == "sqlite":
        lock = ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {customers} WHERE id = %s {lock}", [customer.pk])
        cursor.execute(
            f"UPDATE {contacts} SET is_primary = %s WHERE customer_id = %s AND is_primary = %s",
            [False, customer.pk, True],
        )
        cursor.execute(f"UPDATE {contacts} SET is_primary = %s WHERE id = %s", [True, contact.pk])


SWITCHES: dict[str, Callable[[Any, Any], None]] = {"set_primary_contact": ours, "minimum SQL": minimum_sql}


def one_worker(customer: Any, people: list[Any], count: int, block: int) -> dict[str, float]:
    """Switches per second of each way, ``count`` switches each, interleaved in blocks
    of ``block`` switches so that both see the same load on a shared machine."""
    elapsed = dict.fromkeys(SWITCHES, 0.0)
    done = 0
    while done < count:
        size = min(block, count - done)
        for name, switch in SWITCHES.items():
            start = time.perf_counter()
            for i in range(done, done + size):
                switch(customer, people[i % len(people)])
            elapsed[name] += time.perf_counter() - start
        done += size
    return {name: count / seconds for name, seconds in elapsed.items()}


def contending(
    switch: Callable[[Any, Any], None], customer: Any, people: list[Any], workers: int, count: int
) -> dict[str, Any]:
    from django.db import connections

    from django_customer_contacts import get_contact_model

    model = get_contact_model()
    errors: list[str] = []
    reads = [0, 0]  # reads, reads without exactly one primary
    done = threading.Event()
    barrier = threading.Barrier(workers + 1)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait(timeout=30)
            for _ in range(count // workers):
                try:
                    switch(customer, rng.choice(people))
                except Exception as exc:  # every error counts
                    errors.append(repr(exc))
        finally:
            connections.close_all()

    def checker() -> None:
        try:
            while not done.is_set():
                primaries = model.objects.filter(customer=customer, is_primary=True).count()
                reads[0] += 1
                reads[1] += primaries != 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(workers)]
    check = threading.Thread(target=checker)
    for thread in threads:
        thread.start()
    check.start()
    barrier.wait(timeout=30)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    done.set()
    check.join()
    final = model.objects.filter(customer=customer, is_primary=True).count()
    return {
        "rate": (count // workers * workers) / elapsed,
        "errors": errors,
        "reads": reads[0],
        "bad_reads": reads[1],
        "final": final,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mariadb"], default="postgres")
    parser.add_argument("--contacts", type=int, default=10)
    parser.add_argument("--switches", type=int, default=2000, help="switches per run (default 2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="median of this many one-worker runs (default 3)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--block", type=int, default=50, help="one worker: switches of one way before the other's (default 50)"
    )
    args = parser.parse_args()
    setup(args.db)

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        customer, people = make_customer(args.contacts)
        ours(customer, people[1])  # warm caches
        print(f"{describe(connection)}, load average {os.getloadavg()[0]:.2f} at the start")
        runs: dict[str, list[float]] = {name: [] for name in SWITCHES}
        for _ in range(args.repeat):
            for name, rate in one_worker(customer, people, args.switches, args.block).items():
                runs[name].append(rate)
        medians = {name: statistics.median(rates) for name, rates in runs.items()}
        print(f"one worker, {args.switches:,} switches a run (blocks of {args.block}), median of {args.repeat}:")
        for name, rates in runs.items():
            spread = ", ".join(f"{rate:.0f}" for rate in sorted(rates))
            print(f"  {name:<20} {medians[name]:>7.0f} switches/s   ({spread})")
        ratio = medians["set_primary_contact"] / medians["minimum SQL"]
        print(f"  set_primary_contact / minimum SQL = {ratio:.2f}x the switches/s (target >= 0.5x)")
        if connection.vendor == "sqlite":
            print("contending workers: skipped (SQLite has no row locks; it runs one writer at a time)")
            return
        print(f"{args.workers} contending workers, {args.switches:,} switches in all:")
        connection.close()  # the workers open their own
        for name, switch in SWITCHES.items():
            result = contending(switch, customer, people, args.workers, args.switches)
            print(
                f"  {name:<20} {result['rate']:>7.0f} switches/s, {len(result['errors'])} errors, "
                f"{result['bad_reads']} of {result['reads']:,} reads without exactly one primary, "
                f"{result['final']} primary at the end"
            )
            for error in result["errors"][:3]:
                print(f"    {error}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
