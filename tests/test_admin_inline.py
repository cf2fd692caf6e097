"""The customer page's ContactInline: submissions the docs allow succeed, the others are
form errors, none is a 500."""

import pytest

from django_customer_contacts import get_contact_model
from tests.admin_helpers import app_permissions, contact_permissions, customer_url, page_data, staff_user


def inline_rows(response):
    """The inline's forms, by contact first name."""
    formset = response.context["inline_admin_formsets"][0].formset
    return {form.instance.first_name: form.prefix for form in formset.forms}


def submit(client, customer, *, delete=(), deactivate=(), add=None, before_post=None):
    """Open the customer page, tick DELETE / untick active on rows (by first name), post it."""
    page = client.get(customer_url(customer))
    assert page.status_code == 200
    rows = inline_rows(page)
    data = page_data(page)
    for name in delete:
        data[f"{rows[name]}-DELETE"] = "on"
    for name in deactivate:
        data.pop(f"{rows[name]}-is_active", None)
    if add:
        prefix = next(iter(rows.values())).rsplit("-", 1)[0]
        index = int(data[f"{prefix}-TOTAL_FORMS"])
        data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
        data.update({f"{prefix}-{index}-first_name": add, f"{prefix}-{index}-last_name": "New"})
        data[f"{prefix}-{index}-is_active"] = "on"
    if before_post:
        before_post()
    return client.post(customer_url(customer), data)


def names(customer):
    return sorted(get_contact_model().objects.filter(customer=customer).values_list("first_name", flat=True))


def refused(response):
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors, ("expected a form error", response.context["errors"])
    return " ".join(errors)


@pytest.fixture
def ann_and_bob(customer, make_contact):
    return make_contact(customer, first_name="Ann"), make_contact(customer, first_name="Bob")


def test_deleting_all_contacts_at_once(staff_client, customer, ann_and_bob):
    response = submit(staff_client, customer, delete=["Ann", "Bob"])
    assert response.status_code == 302
    assert names(customer) == []


def test_deleting_the_primary_while_making_the_other_inactive(staff_client, customer, ann_and_bob):
    _ann, bob = ann_and_bob
    response = submit(staff_client, customer, delete=["Ann"], deactivate=["Bob"])
    assert response.status_code == 302
    bob.refresh_from_db()
    assert names(customer) == ["Bob"]
    assert not bob.is_active and not bob.is_primary


def test_deleting_the_primary_while_another_stays_active_is_a_form_error(staff_client, customer, ann_and_bob):
    message = refused(submit(staff_client, customer, delete=["Ann"]))
    assert "Make another contact primary first" in message
    assert names(customer) == ["Ann", "Bob"]


def test_deleting_the_primary_while_adding_an_active_contact_is_a_form_error(staff_client, customer, ann_and_bob):
    refused(submit(staff_client, customer, delete=["Ann", "Bob"], add="Cid"))
    assert names(customer) == ["Ann", "Bob"]


def test_a_contact_added_meanwhile_stays_and_keeps_the_primary_from_being_deleted(
    staff_client, customer, ann_and_bob, make_contact
):
    """Cid was added after the page was opened: not on the page, but active."""
    refused(
        submit(
            staff_client,
            customer,
            delete=["Ann"],
            deactivate=["Bob"],
            before_post=lambda: make_contact(customer, first_name="Cid"),
        )
    )
    assert names(customer) == ["Ann", "Bob", "Cid"]
    assert get_contact_model().objects.get(first_name="Bob").is_active


def test_one_time_and_inactive_contacts_do_not_keep_the_primary(staff_client, customer, ann_and_bob, make_contact):
    make_contact(customer, first_name="Visitor", scope=customer)
    make_contact(customer, first_name="Gone", is_active=False)
    response = submit(staff_client, customer, delete=["Ann", "Bob"])
    assert response.status_code == 302
    assert names(customer) == ["Gone", "Visitor"]


def test_a_customer_managed_contact_the_staff_cannot_change_stays_active(
    client, django_user_model, customer, ann_and_bob, make_contact
):
    from django.contrib.auth.models import Permission

    make_contact(customer, first_name="Self", managed_by="customer")
    customer_opts = type(customer)._meta
    clerk = staff_user(
        django_user_model,
        "clerk",
        contact_permissions("view", "add", "change", "delete")
        + app_permissions("set_primary_contact")
        + list(Permission.objects.filter(content_type__app_label=customer_opts.app_label)),
    )
    client.force_login(clerk)
    refused(submit(client, customer, delete=["Ann", "Bob"]))
    assert names(customer) == ["Ann", "Bob", "Self"]


def test_staff_save_a_customer_page_showing_a_contact_they_cannot_change(
    client, django_user_model, customer, ann_and_bob, make_contact
):
    """The disabled row of a customer-managed contact is posted as a browser posts it (without its
    disabled inputs): the rest of the page saves, that contact is untouched."""
    from django.contrib.auth.models import Permission

    managed = make_contact(customer, first_name="Self", managed_by="customer", job_title="Owner")
    customer_opts = type(customer)._meta
    clerk = staff_user(
        django_user_model,
        "clerk",
        contact_permissions("view", "change")
        + list(Permission.objects.filter(content_type__app_label=customer_opts.app_label)),
    )
    client.force_login(clerk)
    page = client.get(customer_url(customer))
    rows = inline_rows(page)
    data = page_data(page, **{f"{rows['Bob']}-job_title": "Buyer"})
    response = client.post(customer_url(customer), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    _ann, bob = ann_and_bob
    bob.refresh_from_db()
    managed.refresh_from_db()
    assert bob.job_title == "Buyer"
    assert (managed.first_name, managed.job_title, managed.is_active) == ("Self", "Owner", True)
