"""``EMAIL_UNIQUE`` holds, and first contact points stay one primary, when writers race.

Needs row locks, so it runs on PostgreSQL and MariaDB. The random tests add contact points
from threads released at a barrier (one connection each), for ``ROUNDS`` rounds; the
deterministic ones hold the first writer's transaction open (a ``post_save`` receiver
sleeps) while the second writes. Figures go to test-artifacts/.
"""

from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from django.test import override_settings

from django_customer_contacts.models import ContactEmail, ContactPhone
from tests.race_helpers import ROUNDS, Tally, holding, in_thread, run_at_once

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def holders(address):
    return ContactEmail.objects.filter(email_normalized=address.lower()).count()


def one_added_one_refused(outcomes):
    kinds = sorted(o.kind for o in outcomes)
    return kinds == ["clear", "ok"] and all(isinstance(o.error, ValidationError) for o in outcomes if o.error)


@pytest.mark.parametrize("unique", ["customer", "global"], ids=["EMAIL_UNIQUE=customer", "EMAIL_UNIQUE=global"])
def test_one_address_added_to_two_contacts_at_once_is_kept_once(make_customer, make_contact, unique):
    tally = Tally(f"email-unique-{unique}")
    with override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": unique}):
        for round_no in range(ROUNDS):
            customer = make_customer()
            ann = make_contact(customer, first_name="Ann")
            # "global": a contact of another customer.
            bob = make_contact(customer if unique == "customer" else make_customer(), first_name="Bob")
            address = f"shared-{round_no}-{ann.pk}@example.com"
            outcomes = run_at_once(partial(ann.add_email, address), partial(bob.add_email, address.upper()))
            tally.round(
                outcomes,
                address_twice=holders(address) > 1,
                not_one_added_one_refused=not one_added_one_refused(outcomes),
            )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


@pytest.mark.parametrize("unique", ["customer", "global"], ids=["EMAIL_UNIQUE=customer", "EMAIL_UNIQUE=global"])
def test_an_address_added_while_another_contact_adds_it_is_refused(make_customer, make_contact, unique):
    customer = make_customer()
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer if unique == "customer" else make_customer(), first_name="Bob")
    with (
        override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": unique}),
        holding(post_save, sender=ContactEmail) as first_waits,
    ):
        first, first_outcome = in_thread(lambda: ann.add_email("shared@example.com"))
        assert first_waits.wait(10)
        second, second_outcome = in_thread(lambda: bob.add_email("Shared@Example.com"))
        first.join(30)
        second.join(30)
    assert first_outcome[0].kind == "ok", first_outcome
    assert second_outcome[0].kind == "clear", second_outcome
    assert "already uses shared@example.com" in str(second_outcome[0].error).replace(
        "Shared@Example.com", "shared@example.com"
    )
    assert holders("shared@example.com") == 1


def primaries(model, contact):
    return model.objects.filter(contact=contact, is_primary=True).count()


FIRST_POINTS = {
    # (the model, two additions to one contact that has no point of that kind yet)
    "two-emails": (
        ContactEmail,
        lambda c: c.add_email(f"one-{c.pk}@example.com"),
        lambda c: c.add_email(f"two-{c.pk}@example.com"),
    ),
    "one-email-twice": (
        ContactEmail,
        lambda c: c.add_email(f"same-{c.pk}@example.com"),
        lambda c: c.add_email(f"SAME-{c.pk}@example.com"),
    ),
    "two-phones": (
        ContactPhone,
        lambda c: c.add_phone("07911 123456"),
        lambda c: c.add_phone("07912 345678", kind="work"),
    ),
}


def test_first_contact_points_added_at_once_leave_one_primary_and_no_raw_error(make_customer, make_contact):
    tally = Tally("first-points")
    customer = make_customer()
    for round_no in range(ROUNDS):
        scenario = list(FIRST_POINTS)[round_no % len(FIRST_POINTS)]
        model, first, second = FIRST_POINTS[scenario]
        contact = make_contact(customer, first_name=f"C{round_no}")
        outcomes = run_at_once(partial(first, contact), partial(second, contact))
        expected = {"ok"} if scenario != "one-email-twice" else {"ok", "clear"}
        tally.round(
            outcomes,
            not_one_primary=primaries(model, contact) != 1,
            unexpected_outcome={o.kind for o in outcomes} != expected,
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


@pytest.mark.parametrize("scenario", FIRST_POINTS)
def test_a_first_contact_point_added_while_another_is_added_waits_for_it(make_customer, make_contact, scenario):
    model, first, second = FIRST_POINTS[scenario]
    contact = make_contact(make_customer())
    with holding(post_save, sender=model) as first_waits:
        adding, first_outcome = in_thread(lambda: first(contact))
        assert first_waits.wait(10)
        again, second_outcome = in_thread(lambda: second(contact))
        adding.join(30)
        again.join(30)
    assert first_outcome[0].kind == "ok", first_outcome
    expected = "ok" if scenario != "one-email-twice" else "clear"
    assert second_outcome[0].kind == expected, second_outcome
    assert primaries(model, contact) == 1
    assert model.objects.get(contact=contact, is_primary=True).pk == first_outcome[0].value.pk


def test_a_contact_edited_with_its_emails_while_it_is_merged_does_not_deadlock(make_customer, make_contact):
    """As the admin's change form does: the contact is saved, then its emails, in one transaction."""
    import threading

    from django.db import transaction

    from django_customer_contacts import get_contact_model
    from django_customer_contacts.services import merge_contacts

    customer = make_customer()
    make_contact(customer, first_name="Pat")
    main, dup = make_contact(customer, first_name="Main"), make_contact(customer, first_name="Dup")
    dup.add_email("dup@example.com")
    saved, go_on = threading.Event(), threading.Event()

    def edit():
        with transaction.atomic():
            main.job_title = "Buyer"
            main.save()
            saved.set()
            assert go_on.wait(10)
            return main.add_email("main@example.com")

    editing, edit_outcome = in_thread(edit)
    assert saved.wait(10)
    merging, merge_outcome = in_thread(partial(merge_contacts, main, [dup]))
    merging.join(0.5)  # the merge now waits for the edited contact's lock
    go_on.set()
    editing.join(30)
    merging.join(30)
    assert edit_outcome[0].kind == "ok", edit_outcome
    assert merge_outcome[0].kind == "ok", merge_outcome
    assert set(ContactEmail.objects.filter(contact=main).values_list("email", flat=True)) == {
        "main@example.com",
        "dup@example.com",
    }
    assert get_contact_model().objects.get(pk=main.pk).job_title == "Buyer"
