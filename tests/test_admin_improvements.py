"""What the customer pages brought to the admin too: SMS fields follow ``SMS_ENABLED``,
``EMAIL_EDITABLE`` shows saved addresses read-only, the primary contact's deletion is
refused before the confirmation page, and the merge page reads like the customer pages'."""

import datetime

import django
import pytest
from django.test import override_settings
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail
from tests.admin_helpers import messages_of, url


@override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": False})
def test_the_admin_contact_form_has_no_sms_fields_when_sms_is_disabled(staff_client, contact):
    for page in (url("add"), url("change", contact.pk)):
        form = staff_client.get(page).context["adminform"].form
        assert "sms_allowed" not in form.fields
        assert "sms" not in [value for value, _label in form.fields["preferred_channel"].choices]


def test_the_admin_contact_form_has_sms_fields_by_default(staff_client, contact):
    form = staff_client.get(url("change", contact.pk)).context["adminform"].form
    assert "sms_allowed" in form.fields
    assert "sms" in [value for value, _label in form.fields["preferred_channel"].choices]


@override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": False})
def test_a_contact_that_prefers_sms_keeps_the_choice_when_sms_is_disabled(staff_client, contact):
    contact.preferred_channel = "sms"
    contact.save()
    form = staff_client.get(url("change", contact.pk)).context["adminform"].form
    assert "sms" in [value for value, _label in form.fields["preferred_channel"].choices]


@override_settings(CUSTOMER_CONTACTS={"EMAIL_EDITABLE": False})
def test_saved_addresses_are_read_only_in_the_admin_when_emails_are_not_editable(staff_client, contact):
    contact.add_email("jane@example.com")
    response = staff_client.get(url("change", contact.pk))
    emails = response.context["inline_admin_formsets"][0].formset
    saved, extra = emails.forms[0], emails.forms[1]
    assert saved.fields["email"].disabled
    assert not extra.fields["email"].disabled


def test_the_primary_contacts_delete_page_refuses_before_asking(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    response = staff_client.get(url("delete", ann.pk))
    assert response.status_code == 302
    assert response["Location"] == url("change", ann.pk)
    assert any("Make another contact primary" in m for m in messages_of(response))


def test_the_delete_page_of_a_primary_contact_without_others_asks(staff_client, contact):
    assert staff_client.get(url("delete", contact.pk)).status_code == 200


def test_the_delete_action_refuses_the_primary_before_asking(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    response = staff_client.post(url("changelist"), {"action": "delete_selected", "_selected_action": [ann.pk]})
    assert response.status_code == 302
    assert any("Make another contact primary" in m for m in messages_of(response))


@pytest.fixture
def pair(customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith", email_allowed=True)
    jane.add_email("jane@example.com")
    dup = make_contact(
        customer,
        first_name="Jane",
        last_name="Smyth",
        marketing_consent=True,
        marketing_consent_source="web form",
        marketing_consent_at=timezone.make_aware(datetime.datetime(2026, 10, 27, 11, 0, 15, 832732), datetime.UTC),
    )
    dup.add_email("jane.smith@work.example")
    dup.add_phone("07911 123456")
    return jane, dup


def test_the_admin_merge_page_shows_values_as_people_read_them(staff_client, pair):
    jane, dup = pair
    html = staff_client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"}).content.decode()
    assert ">True<" not in html and "True</label>" not in html
    assert "832732" not in html and "+00:00" not in html
    assert "Yes" in html and "2026" in html


def test_the_admin_merge_page_shows_emails_and_phones_side_by_side(staff_client, pair):
    jane, dup = pair
    response = staff_client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"})
    html = response.content.decode()
    assert "jane@example.com" in html and "jane.smith@work.example" in html
    assert "07911 123456" in html
    assert 'name="primary_email"' in html
    assert 'name="primary_phone"' not in html  # one number between them: nothing to choose


def test_the_admin_merge_preview_is_in_plain_language(staff_client, pair):
    jane, dup = pair
    response = staff_client.post(
        f"{url('merge')}?ids={jane.pk},{dup.pk}", {"main": jane.pk, "field_last_name": dup.pk, "_preview": "1"}
    )
    preview = " ".join(response.context["preview"])
    assert "1 email address moves to Jane Smith." in preview
    assert "1 phone number moves to Jane Smith." in preview
    assert "Last name becomes “Smyth”" in preview
    assert "customer_contacts." not in preview


def test_the_admin_merge_keeps_the_chosen_primary_email(staff_client, pair):
    jane, dup = pair
    response = staff_client.post(
        f"{url('merge')}?ids={jane.pk},{dup.pk}",
        {"main": jane.pk, "primary_email": "jane.smith@work.example", "_merge": "1"},
    )
    assert response.status_code == 302
    assert get_contact_model().objects.get(pk=jane.pk).email == "jane.smith@work.example"
    assert ContactEmail.objects.filter(contact=jane, is_primary=True).count() == 1


def test_the_admin_merge_page_breadcrumbs_match_the_admins_markup(staff_client, pair):
    jane, dup = pair
    html = staff_client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"}).content.decode()
    if django.VERSION >= (6, 1):
        assert '<ol class="breadcrumbs">' in html and '<div class="breadcrumbs">' not in html
    else:
        assert '<div class="breadcrumbs">' in html
