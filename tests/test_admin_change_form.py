"""The contact's change page: moving a contact to another customer, and what a save keeps."""

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.forms import ContactForm
from django_customer_contacts.services import set_primary_contact
from tests.admin_helpers import page_data, page_form, url


def change(client, contact, **changes):
    """Open the contact's page and save it with ``changes``, as a browser would."""
    page = client.get(url("change", contact.pk))
    assert page.status_code == 200
    return client.post(url("change", contact.pk), page_data(page, **changes))


def primary_of(customer):
    return get_contact_model().objects.filter(customer=customer, is_primary=True).first()


@pytest.fixture
def globex(make_customer):
    return make_customer("Globex")


def test_moving_a_contact_that_is_not_primary(staff_client, customer, globex, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    cid = make_contact(globex, first_name="Cid")
    response = change(staff_client, bob, customer=str(globex.pk))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.customer == globex and not bob.is_primary
    assert (primary_of(customer), primary_of(globex)) == (ann, cid)


@pytest.mark.parametrize("target_has_a_primary", [True, False])
def test_the_primary_cannot_move_while_its_customer_has_other_contacts(
    staff_client, customer, globex, make_contact, target_has_a_primary
):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    cid = make_contact(globex, first_name="Cid") if target_has_a_primary else None
    response = change(staff_client, ann, customer=str(globex.pk), job_title="Buyer")
    assert response.status_code == 200
    errors = page_form(response).errors["customer"]
    assert "Make one of them primary first" in errors[0]
    ann.refresh_from_db()
    assert ann.customer == customer and ann.is_primary and ann.job_title == ""
    assert primary_of(globex) == cid


def test_the_primary_can_move_once_another_contact_is_primary(staff_client, customer, globex, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    set_primary_contact(bob)
    ann.refresh_from_db()
    assert change(staff_client, ann, customer=str(globex.pk)).status_code == 302
    ann.refresh_from_db()
    assert ann.customer == globex and not ann.is_primary  # a move never makes a contact primary
    assert primary_of(customer) == bob


@pytest.mark.parametrize("target_has_a_primary", [True, False])
def test_a_customers_only_contact_moves_and_arrives_as_a_non_primary_contact(
    staff_client, customer, globex, make_contact, target_has_a_primary
):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Old", is_active=False)  # can't take over
    cid = make_contact(globex, first_name="Cid") if target_has_a_primary else None
    response = change(staff_client, ann, customer=str(globex.pk))
    assert response.status_code == 302, page_form(response).errors if response.context else ""
    ann.refresh_from_db()
    assert ann.customer == globex and not ann.is_primary
    assert primary_of(globex) == cid
    assert primary_of(customer) is None


def test_the_contact_form_refuses_to_move_a_primary_outside_the_admin(customer, globex, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    data = {
        "customer": str(globex.pk),
        "first_name": "Ann",
        "last_name": "Smith",
        "managed_by": "provider",
        "preferred_channel": "any",
        "is_active": "on",
    }
    form = ContactForm(data, instance=ann)
    assert not form.is_valid()
    assert "Make one of them primary first" in form.errors["customer"][0]
