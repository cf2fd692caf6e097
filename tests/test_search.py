"""Searching contacts by name, email or phone — also by part of a number — in the
admin's changelist and through ``ContactQuerySet.search()``."""

import pytest
from django.test import override_settings

from django_customer_contacts import get_contact_model
from tests.admin_helpers import url


@pytest.fixture
def people(customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_phone("07911 123456")
    jane.add_email("jane@example.com")
    jose = make_contact(customer, first_name="José", last_name="Álvarez")
    jose.add_phone("020 7946 0018", kind="work")
    jose.add_email("jose@work.example")
    return jane, jose


def search(term):
    return set(get_contact_model().objects.search(term).values_list("first_name", flat=True))


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("123456", {"Jane"}),
        ("123 456", {"Jane"}),
        ("07911 123456", {"Jane"}),
        ("+44 7911 123456", {"Jane"}),
        ("07911 12", {"Jane"}),
        ("+44 7911", {"Jane"}),
        ("0044 7911", {"Jane"}),
        ("7946", {"José"}),
        ("020 7946", {"José"}),
        ("0", set()),
        ("jose alvarez", {"José"}),
        ("SMITH", {"Jane"}),
        ("jane smith", {"Jane"}),
        ("@work.example", {"José"}),
        ("JANE@EXAMPLE", {"Jane"}),
        ("nobody", set()),
    ],
)
def test_search_finds_contacts_by_name_email_or_part_of_a_number(people, term, found):
    assert search(term) == found


def test_a_blank_search_filters_nothing(people):
    assert search("  ") == {"Jane", "José"}


def test_a_contact_with_two_matching_numbers_is_found_once(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    ann.add_phone("07911 123456")
    ann.add_phone("07922 123456", kind="work")
    assert list(get_contact_model().objects.search("123456").values_list("pk", flat=True)) == [ann.pk]


@pytest.mark.parametrize("term", ["12", "abc123456", "12#34#56", ""])
def test_terms_that_cant_be_part_of_a_number_are_not_looked_up_in_numbers(term):
    from django_customer_contacts.normalize import phone_search_lookups

    assert phone_search_lookups(term) == []


@override_settings(PHONENUMBER_DEFAULT_REGION=None)
def test_without_a_default_region_partial_national_numbers_still_match_digits(people):
    assert search("123456") == {"Jane"}


def test_the_admin_changelist_finds_part_of_a_phone_number(staff_client, people):
    response = staff_client.get(url("changelist"), {"q": "123456"})
    assert [c.first_name for c in response.context["cl"].result_list] == ["Jane"]
    response = staff_client.get(url("changelist"), {"q": "07911 12"})
    assert [c.first_name for c in response.context["cl"].result_list] == ["Jane"]


def test_the_admin_changelist_still_finds_a_whole_number_as_typed(staff_client, people):
    response = staff_client.get(url("changelist"), {"q": "+44 20 7946 0018"})
    assert [c.first_name for c in response.context["cl"].result_list] == ["José"]
