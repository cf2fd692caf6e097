"""Deleting contacts while they are merged or made primary loses no row and never deadlocks.

Needs row locks, so it runs on PostgreSQL and MariaDB. The random tests start a merge (or
``set_primary_contact``) and a deletion at a barrier, each thread on its own connection,
for ``ROUNDS`` rounds; the deterministic ones hold the first operation's transaction open
(a receiver of its signal sleeps) while the other runs. Figures go to test-artifacts/.
"""

import io
from collections import defaultdict
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.exceptions import MergeError, PrimaryContactError
from django_customer_contacts.models import ContactEmail, ContactPhone, MergeRecord
from django_customer_contacts.services import merge_contacts, set_primary_contact
from django_customer_contacts.signals import contacts_merged, primary_contact_changed
from tests.merge_fixtures import add_emails, add_phones
from tests.race_helpers import ROUNDS, Tally, holding, in_thread, run_at_once

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def contacts_with_points(make_customer, make_contact, names):
    """A customer whose primary contact is Pat, and ``names`` contacts with two emails and a phone each."""
    customer = make_customer()
    make_contact(customer, first_name="Pat")
    contacts = []
    for name in names:
        contact = make_contact(customer, first_name=name)
        add_emails(contact, 2, prefix=f"{name.lower()}-{contact.pk}-")
        add_phones(contact, 1)
        contacts.append(contact)
    return customer, contacts


def points(contacts):
    """Each contact's email addresses and phone numbers, by contact pk."""
    pks = [c.pk for c in contacts]
    rows = defaultdict(set)
    for contact_id, address in ContactEmail.objects.filter(contact_id__in=pks).values_list("contact_id", "email"):
        rows[contact_id].add(address)
    for contact_id, number in ContactPhone.objects.filter(contact_id__in=pks).values_list("contact_id", "number"):
        rows[contact_id].add(str(number))
    return rows


def lost_rows(before, contacts):
    """What a surviving contact should hold — its own rows and those of the contacts merged
    into it — but doesn't."""
    survivors = set(get_contact_model().objects.filter(pk__in=[c.pk for c in contacts]).values_list("pk", flat=True))
    expected = {pk: set(before[pk]) for pk in survivors}
    for record in MergeRecord.objects.filter(contact_id__in=survivors):
        for merged in record.merged_ids:
            expected[record.contact_id] |= before[merged]
    now = points(contacts)
    return {pk: sorted(expected[pk] - now[pk]) for pk in survivors if expected[pk] - now[pk]}


def delete_call(kind, contacts):
    """A deletion of ``contacts`` the way ``kind`` says, as a call for a thread."""
    model = get_contact_model()
    pks = [c.pk for c in contacts]
    if kind == "instance":
        # Loaded in the thread, when the other operation may be under way.
        def delete_fresh():
            contact = model.objects.filter(pk=pks[0]).first()
            return contact.delete() if contact else "already gone"

        return delete_fresh
    if kind == "stale-instance":
        # Loaded before the other operation started: what the admin's delete page holds.
        [contact] = contacts
        return contact.delete
    if kind == "queryset":
        return lambda: model.objects.filter(pk__in=pks).delete()
    raise AssertionError(kind)


# -- merge against delete: random rounds -------------------------------------------------------

SCENARIOS = [
    # (what is deleted, how)
    ("dup", "stale-instance"),
    ("dup", "instance"),
    ("dups", "queryset"),
    ("main", "stale-instance"),
    ("main+dup", "queryset"),
]


def test_merge_and_delete_of_the_same_contacts_lose_no_row_and_never_deadlock(make_customer, make_contact):
    tally = Tally("merge-vs-delete")
    for round_no in range(ROUNDS):
        target, kind = SCENARIOS[round_no % len(SCENARIOS)]
        _customer, (main, dup, other) = contacts_with_points(make_customer, make_contact, ["Main", "Dup", "Other"])
        contacts = [main, dup, other]
        before = points(contacts)
        deleted = {"dup": [dup], "dups": [dup, other], "main": [main], "main+dup": [main, other]}[target]
        outcomes = run_at_once(partial(merge_contacts, main, [dup, other]), delete_call(kind, deleted))
        merged, _deletion = outcomes
        model = get_contact_model()
        tally.round(
            outcomes,
            lost_rows=bool(lost_rows(before, contacts)),
            merge_said_merged_but_duplicate_remains=merged.kind == "ok"
            and model.objects.filter(pk__in=[dup.pk, other.pk]).exists(),
            clear_error=any(o.kind == "clear" and not isinstance(o.error, MergeError) for o in outcomes),
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


# -- merge against delete: one transaction held open ---------------------------------------------


def admin_delete_view(contact, admin_user):
    opts = contact._meta
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[contact.pk]), {"post": "yes"}
    )
    assert response.status_code == 302, response.content[:500]


def admin_delete_action(contact, admin_user):
    opts = contact._meta
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [contact.pk], "post": "yes"},
    )
    assert response.status_code == 302, response.content[:500]


def prune(contact, admin_user):
    call_command("prune_unused_contacts", "--days", "0", stdout=io.StringIO(), stderr=io.StringIO())


DELETE_PATHS = {
    "instance": lambda contact, admin_user: contact.delete(),
    "queryset": lambda contact, admin_user: get_contact_model().objects.filter(pk=contact.pk).delete(),
    "admin-delete-view": admin_delete_view,
    "admin-delete-action": admin_delete_action,
    "prune_unused_contacts": prune,
}


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_deleting_a_duplicate_that_a_merge_holds_keeps_every_merged_row(make_customer, make_contact, admin_user, path):
    _customer, (main, dup) = contacts_with_points(make_customer, make_contact, ["Main", "Dup"])
    # Reached lately: not an unused contact for prune_unused_contacts.
    get_contact_model().objects.filter(pk=main.pk).update(last_contacted_at=timezone.now() + timedelta(days=1))
    before = points([main, dup])
    with holding(contacts_merged) as merge_waits:
        merging, merge_outcome = in_thread(lambda: merge_contacts(main, [dup]))
        assert merge_waits.wait(10)
        deleting, delete_outcome = in_thread(lambda: DELETE_PATHS[path](dup, admin_user))
        merging.join(30)
        deleting.join(30)
    assert merge_outcome[0].kind == "ok", merge_outcome
    assert delete_outcome[0].kind in ("ok", "clear"), delete_outcome
    assert lost_rows(before, [main, dup]) == {}
    assert points([main])[main.pk] == before[main.pk] | before[dup.pk]


def test_deleting_main_while_a_merge_holds_it_is_no_integrity_error(make_customer, make_contact):
    _customer, (main, dup) = contacts_with_points(make_customer, make_contact, ["Main", "Dup"])
    with holding(contacts_merged) as merge_waits:
        merging, merge_outcome = in_thread(lambda: merge_contacts(main, [dup]))
        assert merge_waits.wait(10)
        deleting, delete_outcome = in_thread(main.delete)
        merging.join(30)
        deleting.join(30)
    assert merge_outcome[0].kind == "ok", merge_outcome
    assert delete_outcome[0].kind == "ok", delete_outcome
    model = get_contact_model()
    assert not model.objects.filter(pk__in=[main.pk, dup.pk]).exists()
    assert not ContactEmail.objects.filter(contact_id__in=[main.pk, dup.pk]).exists()


def test_merging_a_duplicate_that_a_deletion_holds_is_refused_clearly(make_customer, make_contact):
    from django.db.models.signals import post_delete

    _customer, (main, dup) = contacts_with_points(make_customer, make_contact, ["Main", "Dup"])
    before = points([main, dup])
    with holding(post_delete, sender=get_contact_model()) as delete_waits:
        deleting, delete_outcome = in_thread(dup.delete)
        assert delete_waits.wait(10)
        merging, merge_outcome = in_thread(lambda: merge_contacts(main, [dup]))
        deleting.join(30)
        merging.join(30)
    assert delete_outcome[0].kind == "ok", delete_outcome
    assert merge_outcome[0].kind == "clear" and isinstance(merge_outcome[0].error, MergeError), merge_outcome
    assert points([main])[main.pk] == before[main.pk]


# -- the cascade from the customer ---------------------------------------------------------------


def delete_customer(customer, atomic):
    def call():
        fresh = get_customer_model().objects.get(pk=customer.pk)
        if atomic:
            with transaction.atomic():
                return fresh.delete()
        return fresh.delete()

    return call


def test_deleting_a_customer_while_its_contacts_are_merged_never_fails(make_customer, make_contact):
    tally = Tally("merge-vs-customer-delete")
    for round_no in range(ROUNDS):
        customer, (main, dup, other) = contacts_with_points(make_customer, make_contact, ["Main", "Dup", "Other"])
        outcomes = run_at_once(
            partial(merge_contacts, main, [dup, other]), delete_customer(customer, atomic=round_no % 2 == 0)
        )
        tally.round(
            outcomes,
            customer_kept=get_customer_model().objects.filter(pk=customer.pk).exists(),
            rows_left=ContactEmail.objects.filter(contact_id__in=[main.pk, dup.pk, other.pk]).exists(),
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


@pytest.mark.parametrize("atomic", [True, False], ids=["in-a-transaction", "autocommit"])
def test_deleting_a_customer_while_a_merge_holds_its_contacts(make_customer, make_contact, atomic):
    customer, (main, dup) = contacts_with_points(make_customer, make_contact, ["Main", "Dup"])
    with holding(contacts_merged) as merge_waits:
        merging, merge_outcome = in_thread(lambda: merge_contacts(main, [dup]))
        assert merge_waits.wait(10)
        deleting, delete_outcome = in_thread(delete_customer(customer, atomic))
        merging.join(30)
        deleting.join(30)
    assert merge_outcome[0].kind == "ok", merge_outcome
    assert delete_outcome[0].kind == "ok", delete_outcome
    assert not get_contact_model().objects.filter(customer_id=customer.pk).exists()


# -- set_primary_contact against delete ----------------------------------------------------------


def one_primary(customer):
    return get_contact_model().objects.filter(customer_id=customer.pk, is_primary=True).count() == 1


def test_deleting_the_contact_being_made_primary_leaves_one_primary(make_customer, make_contact):
    tally = Tally("set-primary-vs-delete")
    for round_no in range(ROUNDS):
        customer = make_customer()
        make_contact(customer, first_name="Pat")
        promoted = make_contact(customer, first_name="Max")
        kind = ["stale-instance", "queryset"][round_no % 2]
        outcomes = run_at_once(partial(set_primary_contact, promoted), delete_call(kind, [promoted]))
        promoting, _deletion = outcomes
        tally.round(
            outcomes,
            not_one_primary=not one_primary(customer),
            unclear_refusal=promoting.kind == "clear" and not isinstance(promoting.error, PrimaryContactError),
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


def test_deleting_the_contact_that_set_primary_holds_is_refused(make_customer, make_contact):
    customer = make_customer()
    make_contact(customer, first_name="Pat")
    promoted = make_contact(customer, first_name="Max")
    with holding(primary_contact_changed) as promotion_waits:
        promoting, promote_outcome = in_thread(lambda: set_primary_contact(promoted))
        assert promotion_waits.wait(10)
        deleting, delete_outcome = in_thread(promoted.delete)
        promoting.join(30)
        deleting.join(30)
    assert promote_outcome[0].kind == "ok", promote_outcome
    assert delete_outcome[0].kind == "clear", delete_outcome
    assert isinstance(delete_outcome[0].error, PrimaryContactError)
    assert one_primary(customer)
    assert get_contact_model().objects.get(pk=promoted.pk).is_primary


def test_making_primary_a_contact_that_a_deletion_holds_is_refused_clearly(make_customer, make_contact):
    from django.db.models.signals import post_delete

    customer = make_customer()
    make_contact(customer, first_name="Pat")
    promoted = make_contact(customer, first_name="Max")
    with holding(post_delete, sender=get_contact_model()) as delete_waits:
        deleting, delete_outcome = in_thread(promoted.delete)
        assert delete_waits.wait(10)
        promoting, promote_outcome = in_thread(lambda: set_primary_contact(promoted))
        deleting.join(30)
        promoting.join(30)
    assert delete_outcome[0].kind == "ok", delete_outcome
    assert promote_outcome[0].kind == "clear", promote_outcome
    assert isinstance(promote_outcome[0].error, PrimaryContactError)
    assert one_primary(customer)
