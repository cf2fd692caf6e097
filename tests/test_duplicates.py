"""Finding likely duplicates: shared email, phone or name within a customer, grouped in the database."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail
from django_customer_contacts.services import find_duplicate_contacts


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
def test_finding_takes_two_queries_whatever_the_number_of_contacts(make_customer, make_contact, size):
    for _ in range(size // 2):
        customer = make_customer()
        email(make_contact(customer), "same@example.com")
        email(make_contact(customer), "same@example.com")
    with CaptureQueriesContext(connection) as queries:
        found = find_duplicate_contacts()
    assert len(found) == size // 2
    assert len(queries) == 2
