"""New contact and Edit contact: one form (the admin's ContactForm) with emails and phones
as formsets, the notifications choice, SMS_ENABLED, EMAIL_EDITABLE, one-time contacts, and
a green banner after each save."""

import html

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, NotificationCategory
from tests.admin_helpers import messages_of
from tests.pages.helpers import management, new_contact_data, page, with_points
from tests.pages.hooks import case_model


def shown(response):
    return html.unescape(response.content.decode())


def test_adding_a_contact_with_two_emails_and_two_phones(clerk_client, customer, clerk):
    data = with_points(
        new_contact_data(title="dr", first_name="Jane", last_name="Smith"),
        emails=[("jane@example.com", "work"), ("jane@home.example", "personal")],
        phones=[("07911 123456", "mobile"), ("020 7946 0018", "work")],
    )
    response = clerk_client.post(page("contact_add", customer), data)
    assert response.status_code == 302
    assert response["Location"] == page("contact_list", customer)
    assert messages_of(response) == ["Dr Jane Smith was added."]
    jane = get_contact_model().objects.get(last_name="Smith")
    assert jane.customer == customer and jane.is_primary
    assert jane.email == "jane@example.com"
    assert sorted(jane.emails.values_list("email", flat=True)) == ["jane@example.com", "jane@home.example"]
    assert sorted(str(p.number) for p in jane.phones.all()) == ["+442079460018", "+447911123456"]
    assert jane.email_allowed and jane.sms_allowed and jane.phone_allowed
    assert jane.history.earliest().history_user == clerk


def test_the_banner_shows_on_the_list_after_a_save(clerk_client, customer):
    response = clerk_client.post(page("contact_add", customer), new_contact_data(), follow=True)
    assert "Jane Smith was added." in shown(response)
    assert 'class="cc-message cc-success"' in response.content.decode()


def test_the_new_contact_page_offers_two_rows_for_emails_and_phones(clerk_client, customer):
    response = clerk_client.get(page("contact_add", customer))
    assert len(response.context["emails"].forms) == 2
    assert len(response.context["phones"].forms) == 2
    assert "customer" not in response.context["form"].fields
    assert "user" not in response.context["form"].fields


def test_a_contact_without_a_name_is_a_form_error_and_nothing_is_saved(clerk_client, customer):
    data = with_points(new_contact_data(first_name="", last_name=""), emails=[("x@example.com", "work")])
    response = clerk_client.post(page("contact_add", customer), data)
    assert response.status_code == 200
    assert "Enter a first name or a last name." in shown(response)
    assert not get_contact_model().objects.exists()
    assert not ContactEmail.objects.exists()


@pytest.mark.parametrize(
    ("emails", "phones", "error"),
    [
        ([("jane@example.com", "work"), ("JANE@example.com", "personal")], [], "entered twice"),
        ([("not an address", "work")], [], "Enter a valid email address."),
        ([], [("12", "mobile")], "phone number"),
    ],
)
def test_bad_emails_and_phones_are_form_errors_and_nothing_is_saved(clerk_client, customer, emails, phones, error):
    data = with_points(new_contact_data(), emails=emails, phones=phones)
    response = clerk_client.post(page("contact_add", customer), data)
    assert response.status_code == 200
    assert error in shown(response)
    assert not get_contact_model().objects.exists()


def test_an_address_another_contact_of_the_customer_uses_is_a_form_error(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann").add_email("shared@example.com")
    data = with_points(new_contact_data(), emails=[("shared@example.com", "work")])
    response = clerk_client.post(page("contact_add", customer), data)
    assert response.status_code == 200
    assert "Another contact of this customer already uses shared@example.com." in shown(response)
    assert get_contact_model().objects.count() == 1


def test_editing_a_contact_keeps_what_the_page_doesnt_edit(clerk_client, customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    response = clerk_client.get(page("contact_edit", customer, pk=jane.pk))
    assert response.status_code == 200
    data = {
        **new_contact_data(first_name="Janet", last_name="Smith"),
        **management("emails", 2, 1),
        "emails-0-id": str(jane.emails.get().pk),
        "emails-0-email": "jane@example.com",
        "emails-0-kind": "work",
        "emails-0-is_primary": "on",
        "emails-1-email": "janet@example.com",
        "emails-1-kind": "personal",
        **management("phones"),
    }
    response = clerk_client.post(page("contact_edit", customer, pk=jane.pk), data)
    assert response.status_code == 302, [response.context["emails"].errors, response.context["phones"].errors]
    assert messages_of(response) == ["Janet Smith was saved."]
    jane.refresh_from_db()
    assert jane.first_name == "Janet"
    assert jane.is_primary  # not on the page: kept
    assert jane.email == "jane@example.com"
    assert jane.emails.count() == 2


def test_removing_an_email_on_the_edit_page(clerk_client, customer, make_contact):
    jane = make_contact(customer)
    email = jane.add_email("jane@example.com")
    data = {
        **new_contact_data(),
        **management("emails", 1, 1),
        "emails-0-id": str(email.pk),
        "emails-0-email": "jane@example.com",
        "emails-0-kind": "work",
        "emails-0-DELETE": "on",
        **management("phones"),
    }
    assert clerk_client.post(page("contact_edit", customer, pk=jane.pk), data).status_code == 302
    assert not ContactEmail.objects.filter(contact=jane).exists()


def test_notification_categories_when_the_contact_doesnt_receive_all(clerk_client, customer):
    billing = NotificationCategory.objects.get(code="billing")
    response = clerk_client.get(page("contact_add", customer))
    page_html = response.content.decode()
    assert 'name="receive_all_notifications" value="True"' in page_html  # a yes/no choice
    assert "data-cc-categories" in page_html
    data = new_contact_data(receive_all_notifications="False", notification_categories=[str(billing.pk)])
    assert clerk_client.post(page("contact_add", customer), data).status_code == 302
    jane = get_contact_model().objects.get()
    assert not jane.receive_all_notifications
    assert list(jane.notification_categories.all()) == [billing]


@override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": False})
def test_no_sms_fields_when_sms_is_disabled(clerk_client, customer):
    response = clerk_client.get(page("contact_add", customer))
    form = response.context["form"]
    assert "sms_allowed" not in form.fields
    assert "sms" not in [value for value, _label in form.fields["preferred_channel"].choices]
    assert 'name="sms_allowed"' not in response.content.decode()


@override_settings(CUSTOMER_CONTACTS={"EMAIL_EDITABLE": False})
def test_saved_addresses_cant_be_edited_when_emails_are_not_editable(clerk_client, customer, make_contact):
    jane = make_contact(customer)
    email = jane.add_email("jane@example.com")
    response = clerk_client.get(page("contact_edit", customer, pk=jane.pk))
    assert response.context["emails"].forms[0].fields["email"].disabled
    assert "remove this one and add the new one" in shown(response)
    data = {
        **new_contact_data(),
        **management("emails", 1, 1),
        "emails-0-id": str(email.pk),
        "emails-0-email": "changed@example.com",  # a browser wouldn't post it; the page ignores it
        "emails-0-kind": "work",
        "emails-0-is_primary": "on",
        **management("phones"),
    }
    assert clerk_client.post(page("contact_edit", customer, pk=jane.pk), data).status_code == 302
    email.refresh_from_db()
    assert email.email == "jane@example.com"


@override_settings(CUSTOMER_CONTACTS={"ONE_TIME_SCOPE": "tests.pages.hooks.case_by_pk"})
def test_a_one_time_contact_for_the_case_the_page_was_opened_for(clerk_client, customer):
    case = case_model().objects.create(title="Broken boiler")
    url = f"{page('contact_add', customer)}?scope={case.pk}"
    response = clerk_client.get(url)
    assert "one_time" in response.context["form"].fields
    assert "Broken boiler" in shown(response) or str(case) in shown(response)
    response = clerk_client.post(url, new_contact_data(first_name="Once", one_time="on"))
    assert response.status_code == 302
    once = get_contact_model().objects.get(first_name="Once")
    assert once.is_one_time and once.scope == case
    assert once.scope_content_type == ContentType.objects.get_for_model(case)
    assert not once.is_primary  # a one-time contact never is


@override_settings(CUSTOMER_CONTACTS={"ONE_TIME_SCOPE": "tests.pages.hooks.case_by_pk"})
def test_without_the_tick_the_contact_is_a_regular_one(clerk_client, customer):
    case = case_model().objects.create(title="Broken boiler")
    clerk_client.post(f"{page('contact_add', customer)}?scope={case.pk}", new_contact_data(first_name="Kept"))
    assert not get_contact_model().objects.get(first_name="Kept").is_one_time


def test_no_one_time_tick_without_the_hook_or_for_a_scope_it_doesnt_know(clerk_client, customer):
    case = case_model().objects.create(title="Broken boiler")
    response = clerk_client.get(f"{page('contact_add', customer)}?scope={case.pk}")
    assert "one_time" not in response.context["form"].fields
    with override_settings(CUSTOMER_CONTACTS={"ONE_TIME_SCOPE": "tests.pages.hooks.case_by_pk"}):
        response = clerk_client.get(f"{page('contact_add', customer)}?scope=nonsense")
        assert "one_time" not in response.context["form"].fields


def test_a_customer_managed_contact_is_read_only_and_the_page_says_why(clerk_client, customer, make_contact, clerk):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    response = clerk_client.get(page("contact_edit", customer, pk=managed.pk))
    assert response.status_code == 200
    assert "Self Smith is managed by the customer: you can view it but not change it." in shown(response)
    assert "Save contact" not in shown(response)
    response = clerk_client.post(page("contact_edit", customer, pk=managed.pk), new_contact_data(first_name="X"))
    assert response.status_code == 403
    managed.refresh_from_db()
    assert managed.first_name == "Self"


def test_staff_without_the_customer_managed_permission_cant_add_one(clerk_client, customer):
    response = clerk_client.get(page("contact_add", customer))
    assert "managed_by" not in response.context["form"].fields


def test_next_leads_back_to_the_hosts_page_but_never_off_site(clerk_client, customer):
    response = clerk_client.post(f"{page('contact_add', customer)}?next=/cases/7/", new_contact_data(first_name="A"))
    assert response["Location"] == "/cases/7/"
    response = clerk_client.post(
        f"{page('contact_add', customer)}?next=https://evil.example/", new_contact_data(first_name="B")
    )
    assert response["Location"] == page("contact_list", customer)
