"""Exact matching: shared email, phone or full name within a customer, grouped without pairs.

``find_duplicate_contacts(exact=True)``, or ``DUPLICATE_MATCHING = "exact"``: the
behaviour of the app's first versions, kept. Scored matching: ``test_duplicates_scored.py``.
"""

import itertools

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail
from django_customer_contacts.services import dismiss_duplicates
from django_customer_contacts.services import find_duplicate_contacts as find_any


def find_duplicate_contacts(queryset=None):
    return find_any(queryset, exact=True)


def groups(queryset=None):
    return [([c.first_name for c in group.contacts], set(group.reasons)) for group in find_duplicate_contacts(queryset)]


def email(contact, address):
    # Written directly: EMAIL_UNIQUE would stop add_email() from repeating an address.
    return ContactEmail.objects.create(contact=contact, email=address)


def test_contacts_sharing_an_email_ignoring_case_are_duplicates(customer, make_contact):
    ann, bea = make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Bea")
    make_contact(customer, first_name="Cat").add_email("cat@example.com")
    email(ann, "shared@example.com")
    email(bea, "Shared@Example.COM")
    assert groups() == [(["Ann", "Bea"], {"email"})]


def test_addresses_a_collation_takes_for_one_are_not_shared(customer, make_contact):
    # MariaDB's and MySQL's default collations compare "josé" and "jose" as equal: the
    # keys are grouped by their exact values on every database.
    email(make_contact(customer, first_name="Ann"), "josé@example.com")
    email(make_contact(customer, first_name="Bea"), "jose@example.com")
    email(make_contact(customer, first_name="Cat"), "JOSE@example.com")
    assert groups() == [(["Bea", "Cat"], {"email"})]


def test_contacts_sharing_a_phone_written_differently_are_duplicates(customer, make_contact):
    ann, bea = make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Bea")
    ann.add_phone("07911 123456")
    bea.add_phone("+44 7911 123456")
    assert groups() == [(["Ann", "Bea"], {"phone"})]


def test_contacts_with_the_same_name_but_for_case_and_accents_are_duplicates(customer, make_contact):
    make_contact(customer, first_name="José", last_name="Álvarez")
    make_contact(customer, first_name="jose", last_name="ALVAREZ")
    make_contact(customer, first_name="Josefa", last_name="Alvarez")
    assert groups() == [(["José", "jose"], {"name"})]


def test_groups_are_connected_through_different_keys(customer, make_contact):
    ann, bea, cat, dan = (make_contact(customer, first_name=n, last_name=n) for n in ("Ann", "Bea", "Cat", "Dan"))
    email(ann, "ann@example.com")
    email(bea, "ann@example.com")
    bea.add_phone("07911 123456")
    cat.add_phone("07911 123456")
    make_contact(customer, first_name="Cat", last_name="Cat")  # a namesake of Cat
    dan.add_email("dan@example.com")
    [(names, reasons)] = groups()
    assert names == ["Ann", "Bea", "Cat", "Cat"]
    assert reasons == {"email", "phone", "name"}


def test_a_long_chain_is_one_group(customer, make_contact):
    people = [make_contact(customer, first_name=f"P{i}", last_name=f"L{i}") for i in range(12)]
    for left, right in itertools.pairwise(people):
        email(left, f"{left.pk}-{right.pk}@example.com")
        email(right, f"{left.pk}-{right.pk}@example.com")
    [group] = find_duplicate_contacts()
    assert group.contacts == people


def test_contacts_of_different_customers_are_never_grouped(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    email(make_contact(first, first_name="Ann"), "ann@example.com")
    email(make_contact(second, first_name="Ann"), "ann@example.com")
    assert groups() == []


def test_each_customer_gets_its_own_groups_in_pk_order(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    a1, b1 = make_contact(first, first_name="B"), make_contact(second, first_name="A")
    a2, b2 = make_contact(first, first_name="B"), make_contact(second, first_name="A")
    found = find_duplicate_contacts()
    assert [group.contacts for group in found] == [[a1, a2], [b1, b2]]
    assert [group.customer_id for group in found] == [first.pk, second.pk]


def test_a_queryset_limits_the_search(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    for customer in (first, second):
        make_contact(customer, first_name="Ann")
        make_contact(customer, first_name="Ann")
    found = find_duplicate_contacts(get_contact_model().objects.filter(customer=second))
    assert [group.customer_id for group in found] == [second.pk]
    assert find_duplicate_contacts(get_contact_model().objects.none()) == []


def test_contacts_outside_the_queryset_dont_link_others(customer, make_contact):
    ann, bea = make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Bea", is_active=False)
    cat = make_contact(customer, first_name="Cat")
    email(ann, "x@example.com")
    email(bea, "x@example.com")
    email(bea, "y@example.com")
    email(cat, "y@example.com")
    assert groups(get_contact_model().objects.filter(is_active=True)) == []


def test_no_duplicates_no_groups(customer, make_contact):
    make_contact(customer, first_name="Ann").add_email("ann@example.com")
    make_contact(customer, first_name="Bea").add_email("bea@example.com")
    assert find_duplicate_contacts() == []


@pytest.mark.parametrize("size", [2, 40])
def test_finding_and_reading_the_contacts_take_three_queries_whatever_their_number(make_customer, make_contact, size):
    for _ in range(size // 2):
        customer = make_customer()
        email(make_contact(customer), "same@example.com")
        email(make_contact(customer), "same@example.com")
    with CaptureQueriesContext(connection) as queries:
        found = find_duplicate_contacts()
    # The keys, and whether anything was dismissed at all.
    assert len(queries) == 2
    with CaptureQueriesContext(connection) as queries:
        assert all(len(group.contacts) == 2 for group in found)
    assert len(found) == size // 2
    assert len(queries) == 1


def test_exact_matching_is_a_setting(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Smith").add_email("ann@example.com")
    email(make_contact(customer, first_name="Bea", last_name="Smith"), "ann@example.com")
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MATCHING": "exact"}):
        assert [set(g.reasons) for g in find_any()] == [{"email"}]
    # Scored: a shared address alone doesn't make Ann and Bea one person.
    assert find_any() == []


def test_a_group_whose_every_pair_was_dismissed_is_left_out(customer, make_contact):
    ann, bea = make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Ann")
    cat, dan = make_contact(customer, first_name="Cat"), make_contact(customer, first_name="Cat")
    dismiss_duplicates([ann, bea])
    dismiss_duplicates([cat])  # a single contact: nothing to dismiss
    assert [group.contacts for group in find_duplicate_contacts()] == [[cat, dan]]
