"""Saving a contact on its page while it is made the primary contact: the page writes what
it edits, under the customer's and the contact's locks, and re-reads the rest — so the
primary contact set meanwhile stays primary, and the customer keeps exactly one.

Needs row locks: runs on PostgreSQL and MariaDB.
"""

import random

import pytest
from django.test import Client

from django_customer_contacts import get_contact_model
from django_customer_contacts.services import set_primary_contact
from django_customer_contacts.signals import primary_contact_changed
from tests.pages.helpers import new_contact_data, page
from tests.race_helpers import ROUNDS, Tally, holding, in_thread, run_at_once

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def edit_data(contact, job_title):
    return {**new_contact_data(first_name=contact.first_name, last_name=contact.last_name, job_title=job_title)}


def save_on_page(clerk, customer, contact, job_title):
    def call():
        client = Client()
        client.force_login(clerk)
        response = client.post(page("contact_edit", customer, pk=contact.pk), edit_data(contact, job_title))
        assert response.status_code == 302, response.status_code
        return response.status_code

    return call


def primaries(customer):
    return list(get_contact_model().objects.filter(customer=customer, is_primary=True).values_list("pk", flat=True))


def test_a_page_save_racing_set_primary_keeps_the_new_primary(clerk, make_customer, make_contact):
    tally = Tally("page-save-vs-set-primary")
    for round_number in range(ROUNDS):
        customer = make_customer()
        make_contact(customer, first_name="Ann")  # the primary to begin with
        bob = make_contact(customer, first_name="Bob")
        calls = [save_on_page(clerk, customer, bob, f"Buyer {round_number}"), lambda bob=bob: set_primary_contact(bob)]
        random.shuffle(calls)
        outcomes = run_at_once(*calls, jitter=0.02)
        bob.refresh_from_db()
        tally.round(
            outcomes,
            lost_primary=primaries(customer) != [bob.pk],
            lost_edit=bob.job_title != f"Buyer {round_number}",
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}


def test_a_page_save_waits_for_a_primary_change_in_progress(clerk, make_customer, make_contact):
    customer = make_customer()
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    with holding(primary_contact_changed, seconds=0.8) as entered:
        thread, result = in_thread(lambda: set_primary_contact(bob))
        assert entered.wait(10)  # the primary change holds its locks now
        client = Client()
        client.force_login(clerk)
        response = client.post(page("contact_edit", customer, pk=bob.pk), edit_data(bob, "Buyer"))
        thread.join(30)
    assert [outcome.kind for outcome in result] == ["ok"]
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.job_title == "Buyer"
    assert primaries(customer) == [bob.pk]
