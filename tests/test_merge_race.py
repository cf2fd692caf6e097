"""Overlapping merges in threads never resurrect a contact or lose a row.

Needs row locks, so it runs on PostgreSQL and MariaDB. Each round starts the merges
at a barrier, each thread on its own connection.
"""

import threading

import pytest
from django.db import connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import MergeError
from django_customer_contacts.models import ContactEmail
from django_customer_contacts.services import merge_contacts
from tests.merge_fixtures import add_activities, add_emails, add_fk_rows, add_m2m_rows, fk_rows, host_models

ROUNDS = 8
ROWS = 3

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def run_at_once(*merges):
    """Run each ``(main, duplicates)`` merge in its own thread; return what each raised."""
    barrier = threading.Barrier(len(merges))
    outcomes = [None] * len(merges)

    def worker(index, main, duplicates):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            merge_contacts(main, duplicates)
            outcomes[index] = "merged"
        except MergeError:
            outcomes[index] = "refused"
        except Exception as exc:  # reported by the assertions
            outcomes[index] = repr(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(i, *merge)) for i, merge in enumerate(merges)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def contacts_with_rows(make_customer, make_contact, names):
    customer = make_customer()
    contacts = []
    for name in names:
        contact = make_contact(customer, first_name=name)
        add_emails(contact, ROWS, prefix=f"{name}-{customer.pk}")
        add_fk_rows(contact, ROWS, prefix=name)
        add_m2m_rows(contact, ROWS, prefix=name)
        add_activities(contact, ROWS, prefix=name)
        contacts.append(contact)
    return contacts


def rows_of(contacts):
    pks = [c.pk for c in contacts]
    return (
        fk_rows_for(pks),
        ContactEmail.objects.filter(contact_id__in=pks).count(),
        host_models.Activity.objects.filter(object_id__in=pks).count(),
    )


def fk_rows_for(pks):
    return sum(fk_rows(pk).count() for pk in pks)


def test_merging_a_into_b_while_b_into_a_keeps_one_and_every_row(make_customer, make_contact):
    Contact = get_contact_model()
    outcomes_seen = []
    for _round in range(ROUNDS):
        a, b = contacts_with_rows(make_customer, make_contact, ["Ann", "Bea"])
        outcomes = run_at_once((a, [b]), (b, [a]))
        outcomes_seen.append(tuple(sorted(outcomes)))
        survivors = list(Contact.objects.filter(pk__in=[a.pk, b.pk]))
        assert sorted(outcomes) == ["merged", "refused"], outcomes
        assert len(survivors) == 1
        [survivor] = survivors
        assert rows_of([survivor]) == (2 * ROWS, 2 * ROWS, 2 * ROWS)
        loser = b if survivor == a else a
        assert Contact.history.filter(id=loser.pk, history_type="-").count() == 1
    clean = outcomes_seen.count(("merged", "refused"))
    print(f"\n{connection.vendor}: {ROUNDS} rounds of A->B against B->A, {clean} with one merged and one refused")


def test_two_merges_into_one_contact_at_once_both_land(make_customer, make_contact):
    Contact = get_contact_model()
    for _round in range(ROUNDS):
        main, first, second = contacts_with_rows(make_customer, make_contact, ["Ann", "Bea", "Cat"])
        outcomes = run_at_once((main, [first]), (main, [second]))
        assert outcomes == ["merged", "merged"]
        assert list(Contact.objects.filter(pk__in=[main.pk, first.pk, second.pk])) == [main]
        assert rows_of([main]) == (3 * ROWS, 3 * ROWS, 3 * ROWS)


def test_a_ring_of_merges_loses_no_row(make_customer, make_contact):
    Contact = get_contact_model()
    for _round in range(ROUNDS):
        a, b, c = contacts_with_rows(make_customer, make_contact, ["Ann", "Bea", "Cat"])
        outcomes = run_at_once((a, [b]), (b, [c]), (c, [a]))
        assert set(outcomes) <= {"merged", "refused"}, outcomes
        survivors = list(Contact.objects.filter(pk__in=[a.pk, b.pk, c.pk]))
        assert len(survivors) == 3 - outcomes.count("merged")
        assert rows_of(survivors) == (3 * ROWS, 3 * ROWS, 3 * ROWS)
        assert rows_of([x for x in (a, b, c) if x not in survivors]) == (0, 0, 0)
