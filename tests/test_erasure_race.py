"""Erasing a contact while it is being deleted still erases the person.

Needs row locks, so it runs on PostgreSQL and MariaDB. The deleter and the eraser
each run in a thread of their own, with a connection each.
"""

import random
import threading
import time

import pytest
from django.db import DatabaseError, connection
from django.db.models.signals import post_delete

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import ContactError
from django_customer_contacts.models import ContactEmail, ContactPhone
from django_customer_contacts.services import anonymize_contact

ROUNDS = 40

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def _doomed(customer, make_contact, n):
    contact = make_contact(customer, first_name=f"Doomed{n}x", last_name=f"Racerly{n}x")
    contact.add_email(f"doomed{n}x@race.example.org")
    contact.add_phone(f"07911 12{n:04d}")
    return contact


def _traces(pk, n):
    """Where the person ``n`` still is: contact, email and phone history (and rows)."""
    model = get_contact_model()
    found = []
    if model.history.filter(id=pk, first_name=f"Doomed{n}x").exists():
        found.append("contact history")
    if ContactEmail.history.filter(email=f"doomed{n}x@race.example.org").exists():
        found.append("email history")
    if ContactPhone.history.exclude(number="").filter(contact_id=pk).exists():
        found.append("phone history")
    if model.objects.filter(pk=pk, first_name=f"Doomed{n}x").exists():
        found.append("contact")
    return found


def _run(target, *args):
    """``target`` in a thread with its own connection; returns (thread, errors list)."""
    errors = []

    def work():
        from django.db import connection as thread_connection

        try:
            target(*args)
        except (ContactError, DatabaseError) as exc:
            errors.append(exc)
        finally:
            thread_connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, errors


def test_erasing_a_contact_while_its_deletion_commits_still_erases_it(make_customer, make_contact):
    """Deterministic: the deletion holds its transaction open while the erasure starts."""
    customer = make_customer("Race Ltd")
    make_contact(customer, first_name="Ann", last_name="Primary")
    doomed = _doomed(customer, make_contact, 0)
    pk = doomed.pk
    model = get_contact_model()
    deleting = threading.Event()

    def hold_open(sender, instance, **kwargs):
        if instance.pk == pk:
            deleting.set()
            time.sleep(1)  # the erasure starts meanwhile and waits for the row

    post_delete.connect(hold_open, sender=model)
    try:
        deleter, delete_errors = _run(model.objects.get(pk=pk).delete)
        assert deleting.wait(10)
        eraser, erase_errors = _run(anonymize_contact, doomed)
        deleter.join(30)
        eraser.join(30)
    finally:
        post_delete.disconnect(hold_open, sender=model)

    assert delete_errors == [] and erase_errors == []
    assert not model.objects.filter(pk=pk).exists()
    assert _traces(pk, 0) == []


# Erasure and delete() both lock the customer, then the contact: they queue instead of
# deadlocking, and a deletion re-reads what it deletes after the lock.
def test_random_races_of_erasure_and_deletion_leave_no_trace(make_customer, make_contact):
    customer = make_customer("Race Ltd")
    make_contact(customer, first_name="Ann", last_name="Primary")
    model = get_contact_model()
    rng = random.Random(9)
    left_behind: list[tuple[int, list[str]]] = []
    errors: list[Exception] = []
    for n in range(1, ROUNDS + 1):
        doomed = _doomed(customer, make_contact, n)
        barrier = threading.Barrier(2)
        delay = rng.random() / 100

        def delete(contact=doomed, barrier=barrier):
            barrier.wait(10)
            model.objects.get(pk=contact.pk).delete()

        def erase(contact=doomed, barrier=barrier, delay=delay):
            barrier.wait(10)
            time.sleep(delay)
            anonymize_contact(contact)

        (deleter, delete_errors), (eraser, erase_errors) = _run(delete), _run(erase)
        deleter.join(30)
        eraser.join(30)
        errors += delete_errors + erase_errors
        if traces := _traces(doomed.pk, n):
            left_behind.append((n, traces))
    print(f"\n{connection.vendor}: {ROUNDS} rounds, {len(left_behind)} left the person behind, {len(errors)} errors")
    assert left_behind == []
    assert errors == []
