"""Delete a contact (the primary contact refused before the confirmation) and set the
primary contact (confirmed by typing "primary")."""

import html

import pytest
from django.test import override_settings

from django_customer_contacts import get_contact_model
from tests.admin_helpers import messages_of
from tests.pages.helpers import page


@pytest.fixture
def pair(customer, make_contact):
    return make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Bob")


# -- delete ------------------------------------------------------------------------------------


def test_deleting_a_contact_asks_first_then_deletes(clerk_client, customer, pair):
    _ann, bob = pair
    response = clerk_client.get(page("contact_delete", customer, pk=bob.pk))
    assert response.status_code == 200
    assert "Delete Bob Smith" in html.unescape(response.content.decode())
    assert get_contact_model().objects.filter(pk=bob.pk).exists()
    response = clerk_client.post(page("contact_delete", customer, pk=bob.pk))
    assert response.status_code == 302
    assert response["Location"] == page("contact_list", customer)
    assert messages_of(response) == ["Bob Smith was deleted."]
    assert not get_contact_model().objects.filter(pk=bob.pk).exists()


def test_the_primary_contacts_deletion_is_refused_before_the_confirmation(clerk_client, customer, pair):
    ann, _bob = pair
    for response in (
        clerk_client.get(page("contact_delete", customer, pk=ann.pk)),
        clerk_client.post(page("contact_delete", customer, pk=ann.pk)),
    ):
        assert response.status_code == 302
        assert response["Location"] == page("contact_edit", customer, pk=ann.pk)
        assert any("Make another contact primary" in m for m in messages_of(response))
    assert get_contact_model().objects.filter(pk=ann.pk).exists()


def test_the_only_contact_can_be_deleted_although_primary(clerk_client, customer, make_contact):
    only = make_contact(customer)
    assert clerk_client.get(page("contact_delete", customer, pk=only.pk)).status_code == 200
    assert clerk_client.post(page("contact_delete", customer, pk=only.pk)).status_code == 302
    assert not get_contact_model().objects.exists()


def test_a_customer_managed_contact_cant_be_deleted_without_the_permission(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    assert clerk_client.get(page("contact_delete", customer, pk=managed.pk)).status_code == 403
    assert clerk_client.post(page("contact_delete", customer, pk=managed.pk)).status_code == 403
    assert get_contact_model().objects.filter(pk=managed.pk).exists()


# -- set primary ----------------------------------------------------------------------------------


def test_setting_the_primary_contact_needs_the_word_primary(clerk_client, customer, pair):
    ann, bob = pair
    url = page("contact_set_primary", customer, pk=bob.pk)
    response = clerk_client.get(url)
    assert response.status_code == 200
    assert "Ann Smith stops being the primary contact." in html.unescape(response.content.decode())
    for typed in ("", "yes", "primar", "primary contact"):
        response = clerk_client.post(url, {"confirm": typed})
        assert response.status_code == 200
        assert response.context["form"].errors
        bob.refresh_from_db()
        assert not bob.is_primary
    response = clerk_client.post(url, {"confirm": "  Primary "})
    assert response.status_code == 302
    assert messages_of(response) == ["Bob Smith is now the primary contact."]
    bob.refresh_from_db()
    ann.refresh_from_db()
    assert bob.is_primary and not ann.is_primary


@override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "tests.rules.business_only"})
def test_setting_a_primary_contact_where_primary_contact_allowed_says_no(clerk_client, customer, make_contact):
    bob = make_contact(customer, first_name="Bob")  # not primary: the customer isn't a business
    url = page("contact_set_primary", customer, pk=bob.pk)
    response = clerk_client.get(url)
    assert "can't have a primary contact" in html.unescape(response.content.decode())
    assert 'name="confirm"' not in response.content.decode()
    response = clerk_client.post(url, {"confirm": "primary"})
    assert response.status_code == 200
    bob.refresh_from_db()
    assert not bob.is_primary


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"is_active": False}, "An inactive contact can't be the primary contact.")],
)
def test_contacts_that_cant_be_primary_are_explained(clerk_client, customer, pair, make_contact, fields, reason):
    other = make_contact(customer, first_name="Cat", **fields)
    response = clerk_client.post(page("contact_set_primary", customer, pk=other.pk), {"confirm": "primary"})
    assert response.status_code == 200
    assert reason in html.unescape(response.content.decode())
    other.refresh_from_db()
    assert not other.is_primary


def test_the_primary_contacts_own_page_says_it_is_primary_already(clerk_client, customer, pair):
    ann, _bob = pair
    response = clerk_client.get(page("contact_set_primary", customer, pk=ann.pk))
    assert "is the primary contact already" in html.unescape(response.content.decode())


def test_replacing_a_customer_managed_primary_needs_the_permission(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Self", managed_by="customer")  # primary
    bob = make_contact(customer, first_name="Bob")
    response = clerk_client.post(page("contact_set_primary", customer, pk=bob.pk), {"confirm": "primary"})
    assert response.status_code == 403
    bob.refresh_from_db()
    assert not bob.is_primary
