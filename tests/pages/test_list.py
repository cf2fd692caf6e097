"""The customer's Contacts page: columns, filters, search, the unused notice, the selection
buttons, and a query count that doesn't grow with the contacts."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import Tag
from tests.pages.helpers import make_staff, page


def listed(response):
    return [row["contact"].first_name for row in response.context["contacts"]]


def test_the_list_shows_the_customers_contacts_with_their_primary_email_and_phone(
    clerk_client, customer, make_customer, make_contact
):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    jane.add_phone("+447911123456")
    make_contact(customer, first_name="Bob", last_name="Jones", managed_by="customer")
    make_contact(make_customer("Other Ltd"), first_name="Zed", last_name="Other")
    response = clerk_client.get(page("contact_list", customer))
    assert response.status_code == 200
    html = response.content.decode()
    assert listed(response) == ["Jane", "Bob"]  # the primary contact first
    assert "Zed" not in html
    assert "jane@example.com" in html
    assert "07911 123456" in html  # the national format, not +447911123456
    assert "Primary" in html
    assert "The customer keeps this contact up to date" in html


def test_inactive_contacts_are_hidden_until_the_filter_shows_them(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Old", is_active=False)
    assert listed(clerk_client.get(page("contact_list", customer))) == ["Ann"]
    assert listed(clerk_client.get(page("contact_list", customer), {"active": "all"})) == ["Ann", "Old"]


def test_search_finds_part_of_a_phone_number(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann").add_phone("07911 123456")
    make_contact(customer, first_name="Bob").add_phone("07922 654321")
    assert listed(clerk_client.get(page("contact_list", customer), {"q": "123456"})) == ["Ann"]


def test_filtering_by_tag(clerk_client, customer, make_contact):
    vip = Tag.objects.create(name="VIP")
    make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob").tags.add(vip)
    response = clerk_client.get(page("contact_list", customer), {"tag": vip.pk})
    assert listed(response) == ["Bob"]
    assert "VIP" in response.content.decode()  # the tag is a choice of the filter


def test_a_bad_filter_value_is_shown_as_an_error(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    response = clerk_client.get(page("contact_list", customer), {"tag": "not-a-tag"})
    assert response.status_code == 200
    assert response.context["filter"].errors


@override_settings(CUSTOMER_CONTACTS={"UNUSED_REVIEW_THRESHOLD": 2})
def test_the_unused_notice_links_to_the_review_when_the_threshold_is_reached(clerk_client, customer, make_contact):
    model = get_contact_model()
    make_contact(customer, first_name="Ann")
    old = timezone.now() - datetime.timedelta(days=400)
    stale = [make_contact(customer, first_name=f"Old {i}") for i in range(2)]
    html = clerk_client.get(page("contact_list", customer)).content.decode()
    assert 'id="cc-unused-notice"' not in html
    model.objects.filter(pk__in=[c.pk for c in stale]).update(created=old)
    html = clerk_client.get(page("contact_list", customer)).content.decode()
    assert 'id="cc-unused-notice"' in html
    assert page("contact_unused", customer) in html


def test_the_merge_button_needs_two_selected_and_the_permission(clerk_client, viewer_client, customer, make_contact):
    make_contact(customer)
    html = clerk_client.get(page("contact_list", customer)).content.decode()
    assert 'data-cc-min-selected="2"' in html and page("contact_merge", customer) in html
    html = viewer_client.get(page("contact_list", customer)).content.decode()
    assert page("contact_merge", customer) not in html
    assert page("contact_add", customer) not in html
    assert page("contact_export", customer) not in html


def test_the_list_is_paginated(clerk_client, customer, make_contact):
    model = get_contact_model()
    model.objects.bulk_create([model(customer=customer, first_name=f"P{i:03}", last_name="X") for i in range(55)])
    first = clerk_client.get(page("contact_list", customer))
    second = clerk_client.get(page("contact_list", customer), {"page": "2", "active": "yes"})
    assert len(first.context["contacts"]) == 50
    assert len(second.context["contacts"]) == 5
    assert "page=2" in first.content.decode()


# -- queries --------------------------------------------------------------------------------


def fill(customer, count):
    """``count`` contacts, each with an email, a phone and a tag; a few inactive and unused."""
    model = get_contact_model()
    tag = Tag.objects.get_or_create(name="Key account")[0]
    for i in range(count):
        contact = model.objects.create(
            customer=customer, first_name=f"Person {i}", last_name="Test", is_active=i % 7 != 3
        )
        contact.add_email(f"person{i}@example.com")
        contact.add_phone(f"07911 1{i:05}")
        contact.tags.add(tag)


def list_queries(client, customer):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page("contact_list", customer), {"q": "person"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_list_takes_the_same_queries_for_10_or_200_contacts(client, django_user_model, make_customer):
    small, large = make_customer("Small"), make_customer("Large")
    fill(small, 10)
    fill(large, 200)
    client.force_login(make_staff(django_user_model, "clerk"))
    list_queries(client, small)  # warm what a running process has cached
    counts = (list_queries(client, small), list_queries(client, large))
    print(f"\nthe list page: 10 contacts -> {counts[0]} queries, 200 -> {counts[1]}")
    # The session and the user (2), the user's permissions (2, ModelBackend), the customer
    # with its counts, the page of contacts, the filters' tag and category choices.
    assert counts[0] == counts[1] <= 8
