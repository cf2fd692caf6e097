"""Duplicate detection's writers under concurrency: keys follow the names, a pair is dismissed once.

``rebuild_match_keys()`` reads each contact under its lock (customer, then contacts), so
a rename committed meanwhile is never overwritten with the keys of the old name; two
staff dismissing the same pair at once make one dismissal, and neither gets an error; a
duplicate written while a customer's groups are searched (and stored) is found by the
next search, and the search waits for no writer.
Needs row locks: PostgreSQL and MariaDB.
"""

import datetime
import threading

import pytest
from django.db import transaction

from django_customer_contacts import duplicates, get_contact_model
from django_customer_contacts.models import MATCH_KEY_FIELDS, DuplicateDismissal
from django_customer_contacts.normalize import match_keys
from django_customer_contacts.services import dismiss_duplicates, find_duplicate_contacts, rebuild_match_keys
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


# -- the stored answers (duplicate_store) ------------------------------------------------------

BIRTHDAY = datetime.date(1980, 3, 12)


def found_ids(**scope):
    return [group.contact_ids for group in find_duplicate_contacts(**scope)]


def fresh_ids(customer):
    """The groups found afresh, nothing stored or read back."""
    return [
        group.contact_ids for group in find_duplicate_contacts(get_contact_model().objects.filter(customer=customer))
    ]


def test_a_duplicate_added_while_the_customer_is_searched_is_found_by_the_next_search(make_customer, make_contact):
    tally = Tally("duplicate-search-vs-new-duplicate")
    for round_number in range(ROUNDS):
        customer = make_customer()
        make_contact(customer, first_name="Robert", last_name=f"Smith{round_number}", birthday=BIRTHDAY)
        find_duplicate_contacts(customer=customer)  # stored: no groups

        def add(customer=customer, n=round_number):
            return make_contact(customer, first_name="Bob", last_name=f"Smith{n}", birthday=BIRTHDAY).pk

        def search(customer=customer):
            return found_ids(customer=customer)

        outcomes = run_at_once(add, search)
        after = found_ids(customer=customer)
        tally.round(outcomes, stale=after != fresh_ids(customer), not_found=len(after) != 1)
    figures = tally.report()
    assert figures["rounds_failed"] == {}


def test_a_search_does_not_wait_for_a_writer_and_does_not_keep_what_it_could_not_see(customer, make_contact):
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    assert found_ids() == []
    written, release = threading.Event(), threading.Event()

    def add_duplicate():
        with transaction.atomic():
            bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
            written.set()
            release.wait(timeout=10)
        return bob.pk

    writing, outcome = in_thread(add_duplicate)
    assert written.wait(timeout=10)
    searching, search_outcome = in_thread(found_ids)
    searching.join(timeout=5)
    assert not searching.is_alive()  # the writer's open transaction held it up
    assert [o.kind for o in search_outcome] == ["ok"] and search_outcome[0].value == []
    release.set()
    writing.join(timeout=10)
    [added] = outcome
    assert added.kind == "ok"
    assert found_ids() == [(robert.pk, added.value)] == fresh_ids(customer)


def test_a_change_committed_while_a_search_finds_the_groups_is_found_by_the_next_one(
    customer, make_contact, monkeypatch
):
    """The search has read the change notes and is comparing contacts when a duplicate
    is committed: it stores what it saw, and the duplicate's note makes the next search
    find the customer's groups again."""
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    comparing, release = threading.Event(), threading.Event()
    search_groups = duplicates._scored_groups

    def paused(*args, **kwargs):
        found = search_groups(*args, **kwargs)
        comparing.set()
        release.wait(timeout=10)
        return found

    monkeypatch.setattr(duplicates, "_scored_groups", paused)
    searching, search_outcome = in_thread(found_ids)
    assert comparing.wait(timeout=10)
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)  # committed
    release.set()
    searching.join(timeout=10)
    assert [o.kind for o in search_outcome] == ["ok"] and search_outcome[0].value == []
    monkeypatch.setattr(duplicates, "_scored_groups", search_groups)
    assert found_ids() == [(robert.pk, bob.pk)] == fresh_ids(customer)
