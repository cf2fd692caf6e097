"""One-time contacts: they exist for one host object (a case, a ticket) only."""

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import PrimaryContactError
from django_customer_contacts.models import Tag
from django_customer_contacts.services import find_duplicate_contacts, set_primary_contact


@pytest.fixture
def case(db):
    """Any host object can scope a one-time contact: a tag stands in for a case."""
    return Tag.objects.create(name="Case 4711")


@pytest.fixture
def reporter(customer, contact, case):
    reporter = get_contact_model().objects.create(customer=customer, first_name="Sam", last_name="Reporter", scope=case)
    reporter.add_email("sam@example.com")
    return reporter


def test_one_time_contact_is_found_by_its_scope_only(customer, contact, reporter, case):
    Contact = get_contact_model()
    assert reporter.is_one_time
    assert list(Contact.objects.for_scope(case)) == [reporter]
    assert list(Contact.objects.for_scope(Tag.objects.create(name="Case 4712"))) == []


def test_one_time_contact_is_not_on_the_customers_list(customer, contact, reporter):
    assert list(get_contact_model().objects.for_customer(customer)) == [contact]


def test_one_time_contact_is_never_the_automatic_primary(customer, case):
    first = get_contact_model().objects.create(customer=customer, last_name="First", scope=case)
    assert first.is_primary is False


def test_one_time_contact_cant_be_made_primary(reporter):
    with pytest.raises(PrimaryContactError, match="one-time"):
        set_primary_contact(reporter)
    reporter.refresh_from_db()
    assert reporter.is_primary is False


def test_one_time_contact_is_a_recipient_for_its_scope_only(customer, contact, reporter, case):
    contact.add_email("jane@example.com")
    Contact = get_contact_model()
    assert list(Contact.objects.recipients(customer)) == [contact]
    assert set(Contact.objects.recipients(customer, scope=case)) == {contact, reporter}
    other_case = Tag.objects.create(name="Case 4712")
    assert list(Contact.objects.recipients(customer, scope=other_case)) == [contact]


def test_the_customer_itself_can_scope_a_one_time_contact(customer, contact):
    # A UUID-keyed customer in the swapped scenario, an integer one otherwise.
    visitor = get_contact_model().objects.create(customer=customer, last_name="Visitor", scope=customer)
    visitor.add_email("visitor@example.com")
    assert list(get_contact_model().objects.for_scope(customer)) == [visitor]
    assert visitor in get_contact_model().objects.recipients(customer, scope=customer)


def test_one_time_contacts_are_left_out_of_duplicate_detection(customer, contact, case):
    contact.add_email("jane@example.com")
    twin = get_contact_model().objects.create(customer=customer, first_name="Jane", last_name="Smith", scope=case)
    twin.add_email("jane.case@example.com")
    groups = list(find_duplicate_contacts())
    assert not any(twin in group.contacts for group in groups)
