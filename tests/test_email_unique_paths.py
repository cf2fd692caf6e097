"""``EMAIL_UNIQUE`` holds on every path an address arrives by.

The admin's add page once skipped it: its email inline validated while the new contact
had no pk, and the check needed one, so a contact was saved with an address another
contact of the customer held.
"""

import pytest
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.forms import ContactForm, ContactPointFormSet
from django_customer_contacts.models import ContactEmail
from tests.admin_helpers import customer_url, page_data, url


@pytest.fixture
def holder(customer, make_contact):
    """A contact of the customer holding jane@example.com."""
    contact = make_contact(customer, first_name="Jane", last_name="Holder")
    contact.add_email("jane@example.com")
    return contact


def add_page_data(customer, address, **extra):
    return {
        "customer": customer.pk,
        "first_name": "Jane",
        "last_name": "Newcomer",
        "managed_by": "provider",
        "preferred_channel": "any",
        "is_active": "on",
        "receive_all_notifications": "on",
        "automated_followups": "on",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-email": address,
        "emails-0-kind": "work",
        "phones-TOTAL_FORMS": "0",
        "phones-INITIAL_FORMS": "0",
        "_save_anyway": "on",  # not about the duplicate warning
        **extra,
    }


def contacts_named(last_name):
    return get_contact_model().objects.filter(last_name=last_name)


def test_the_admin_add_page_refuses_an_address_the_customer_has(staff_client, customer, holder):
    response = staff_client.post(url("add"), add_page_data(customer, " JANE@Example.com "))
    assert response.status_code == 200
    errors = [form.errors for inline in response.context["inline_admin_formsets"] for form in inline.formset.forms]
    assert {"email": ["Another contact of this customer already uses JANE@Example.com."]} in errors
    assert not contacts_named("Newcomer").exists()
    assert ContactEmail.objects.filter(email_normalized="jane@example.com").count() == 1


def test_the_admin_add_page_takes_an_address_another_customer_has(staff_client, make_customer, holder):
    other = make_customer()
    response = staff_client.post(url("add"), add_page_data(other, "jane@example.com"))
    assert response.status_code == 302
    assert contacts_named("Newcomer").get().email == "jane@example.com"


@override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": "global"})
def test_the_admin_add_page_refuses_any_address_in_global_mode(staff_client, make_customer, holder):
    response = staff_client.post(url("add"), add_page_data(make_customer(), "jane@example.com"))
    assert response.status_code == 200
    assert "Another contact already uses jane@example.com." in response.content.decode()
    assert not contacts_named("Newcomer").exists()


def test_the_email_inline_of_a_contact_refuses_an_address_the_customer_has(
    staff_client, customer, holder, make_contact
):
    other = make_contact(customer, first_name="Sam", last_name="Other")
    page = staff_client.get(url("change", other.pk))
    data = page_data(page, **{"emails-0-email": "Jane@example.com", "emails-0-kind": "work", "_save_anyway": "on"})
    response = staff_client.post(url("change", other.pk), data)
    assert response.status_code == 200
    assert "Another contact of this customer already uses Jane@example.com." in response.content.decode()
    assert not other.emails.exists()


def test_moving_a_contact_to_a_customer_whose_contact_has_its_address_is_a_form_error(
    staff_client, make_customer, make_contact, holder
):
    mover = make_contact(make_customer(), first_name="Sam", last_name="Mover")
    mover.add_email("JANE@example.com")
    page = staff_client.get(url("change", mover.pk))
    data = page_data(page, customer=str(holder.customer_id), _save_anyway="on")
    response = staff_client.post(url("change", mover.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"] == [
        "Another contact of this customer already uses JANE@example.com."
    ]
    mover.refresh_from_db()
    assert mover.customer_id != holder.customer_id


def test_the_customer_page_inline_keeps_a_moved_in_address_out(staff_client, make_customer, make_contact, holder):
    """The customer's contact inline can't bring an address in: it has no address fields,
    and it can't move a contact from another customer (its rows are the customer's)."""
    response = staff_client.get(customer_url(holder.customer))
    assert response.status_code == 200
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is get_contact_model())
    assert not {"email", "emails"} & set(inline.formset.forms[0].fields)
    data = page_data(
        response,
        **{
            f"{inline.formset.prefix}-TOTAL_FORMS": "2",
            f"{inline.formset.prefix}-1-first_name": "Jane",
            f"{inline.formset.prefix}-1-last_name": "Holder",
            f"{inline.formset.prefix}-1-is_active": "on",
        },
    )
    assert staff_client.post(customer_url(holder.customer), data).status_code == 302
    assert ContactEmail.objects.filter(email_normalized="jane@example.com").count() == 1


def test_the_apps_contact_form_refuses_a_move_that_would_repeat_an_address(make_customer, make_contact, holder):
    mover = make_contact(make_customer(), first_name="Sam", last_name="Mover")
    mover.add_email("jane@example.com")
    data = {**ContactForm(instance=mover).initial, "customer": holder.customer_id}
    form = ContactForm(data, instance=mover)
    assert not form.is_valid()
    assert form.errors["customer"] == ["Another contact of this customer already uses jane@example.com."]


def test_the_apps_email_formset_refuses_the_address_for_a_contact_not_saved_yet(customer, holder):
    """A host's own add view: the contact form and the email formset, validated before either is saved."""
    formset_class = inlineformset_factory(
        get_contact_model(), ContactEmail, formset=ContactPointFormSet, fields=["email", "kind"], extra=1
    )
    new = get_contact_model()(customer=customer, first_name="Jane", last_name="Newcomer")
    formset = formset_class(
        {
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "emails-0-email": "jane@EXAMPLE.com",
            "emails-0-kind": "work",
        },
        instance=new,
    )
    assert not formset.is_valid()
    assert formset.forms[0].errors["email"] == ["Another contact of this customer already uses jane@EXAMPLE.com."]


def test_add_email_refuses_an_address_the_customer_has(customer, holder, make_contact):
    other = make_contact(customer, first_name="Sam", last_name="Other")
    with pytest.raises(ValidationError) as raised:
        other.add_email("  Jane@Example.com")
    assert raised.value.message_dict["email"] == ["Another contact of this customer already uses Jane@Example.com."]
    assert not other.emails.exists()
