"""Racing set_primary_contact calls on one customer leave exactly one primary.

Needs row locks, so it runs on PostgreSQL and MariaDB. Each round starts six
threads (one connection each) at a barrier, each making a different contact of
the same customer primary. The figures are written to test-artifacts/.
"""

import json
import threading
from pathlib import Path

import pytest
from django.db import DatabaseError, connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.services import set_primary_contact

THREADS = 6
ROUNDS = 25

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def test_racing_set_primary_calls_leave_exactly_one_primary(make_customer, make_contact):
    customer = make_customer("Race Ltd")
    contacts = [make_contact(customer, first_name=f"C{i}") for i in range(THREADS)]
    model = get_contact_model()
    errors: list[str] = []
    double_primaries = 0
    calls = 0

    def worker(contact, barrier):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            set_primary_contact(contact)
        except DatabaseError as exc:
            errors.append(repr(exc))
        finally:
            thread_connection.close()

    for _round in range(ROUNDS):
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=worker, args=(c, barrier)) for c in contacts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        calls += THREADS
        count = model.objects.filter(customer=customer, is_primary=True).count()
        if count != 1:
            double_primaries += 1

    figures = {
        "database": connection.vendor,
        "rounds": ROUNDS,
        "threads": THREADS,
        "calls": calls,
        "errors": len(errors),
        "rounds_without_exactly_one_primary": double_primaries,
    }
    out = Path(__file__).resolve().parent.parent / "test-artifacts"
    out.mkdir(exist_ok=True)
    label = model._meta.label_lower.replace(".", "-")
    (out / f"race-{connection.vendor}-{label}.json").write_text(json.dumps(figures, indent=2))
    print("\nrace figures:", figures)

    assert double_primaries == 0
    assert len(errors) <= calls // 100, errors[:3]
