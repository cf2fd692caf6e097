"""Duplicate detection's writers under concurrency: keys follow the names, a pair is dismissed once.

``rebuild_match_keys()`` reads each contact under its lock (customer, then contacts), so
a rename committed meanwhile is never overwritten with the keys of the old name; two
staff dismissing the same pair at once make one dismissal, and neither gets an error.
Needs row locks: PostgreSQL and MariaDB.
"""

import threading

import pytest
from django.db import transaction

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import MATCH_KEY_FIELDS, DuplicateDismissal
from django_customer_contacts.normalize import match_keys
from django_customer_contacts.services import dismiss_duplicates, rebuild_match_keys
from tests.race_helpers import ROUNDS, Tally, in_thread, run_at_once

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def stored_keys(pk):
    contact = get_contact_model().objects.get(pk=pk)
    return [getattr(contact, name) for name in MATCH_KEY_FIELDS], contact


def keys_follow_names(pk):
    keys, contact = stored_keys(pk)
    return keys == list(match_keys(contact.first_name, contact.last_name, contact.birthday))


def stale(contact):
    """Keys as a bulk import leaves them: none."""
    get_contact_model().objects.filter(pk=contact.pk).update(**dict.fromkeys(MATCH_KEY_FIELDS, ""))


def test_rebuilding_keys_while_a_contact_is_renamed_keeps_the_new_names_keys(make_customer, make_contact):
    model = get_contact_model()
    tally = Tally("rebuild-match-keys-vs-rename")
    for round_number in range(ROUNDS):
        customer = make_customer()
        contact = make_contact(customer, first_name="Anna", last_name="Schmidt")
        stale(contact)

        def rename(pk=contact.pk, n=round_number):
            fresh = model.objects.get(pk=pk)
            fresh.first_name, fresh.last_name = "Robert", f"Nowak{n}"
            fresh.save()

        def rebuild(customer_pk=customer.pk):
            return rebuild_match_keys(model._base_manager.filter(customer_id=customer_pk))

        outcomes = run_at_once(rename, rebuild)
        tally.round(outcomes, stale_keys=not keys_follow_names(contact.pk))
    figures = tally.report()
    assert figures["rounds_failed"] == {}


def test_a_rename_holding_its_lock_makes_the_rebuild_wait_and_read_the_new_name(customer, make_contact):
    model = get_contact_model()
    contact = make_contact(customer, first_name="Anna", last_name="Schmidt")
    stale(contact)
    renamed, release = threading.Event(), threading.Event()

    def rename():
        with transaction.atomic():
            fresh = model.objects.select_for_update().get(pk=contact.pk)
            fresh.first_name = "Robert"
            fresh.save()
            renamed.set()
            release.wait(timeout=10)

    renaming, rename_outcome = in_thread(rename)
    assert renamed.wait(timeout=10)
    rebuilding, rebuild_outcome = in_thread(lambda: rebuild_match_keys(model._base_manager.filter(pk=contact.pk)))
    rebuilding.join(timeout=0.5)
    assert rebuilding.is_alive()  # waiting for the rename's lock
    release.set()
    renaming.join(timeout=10)
    rebuilding.join(timeout=10)
    assert [o.kind for o in (*rename_outcome, *rebuild_outcome)] == ["ok", "ok"]
    keys, fresh = stored_keys(contact.pk)
    assert fresh.first_name == "Robert"
    assert keys_follow_names(contact.pk), keys


def test_two_staff_dismissing_one_pair_at_once_make_one_dismissal(make_customer, make_contact):
    tally = Tally("dismiss-duplicates-twice")
    for _round in range(ROUNDS):
        customer = make_customer()
        ann, bea = make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Ann")
        outcomes = run_at_once(
            lambda a=ann, b=bea: dismiss_duplicates([a, b]), lambda a=ann, b=bea: dismiss_duplicates([b, a])
        )
        made = sum(len(o.value) for o in outcomes if o.kind == "ok")
        rows = DuplicateDismissal.objects.filter(first_contact_id__in=[str(ann.pk), str(bea.pk)]).count()
        tally.round(outcomes, not_one_row=rows != 1, not_one_made=made != 1)
    figures = tally.report()
    assert figures["rounds_failed"] == {}
