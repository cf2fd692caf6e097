"""The contact page in sections, with selects for language and time zone, and why it may be read-only."""

import re

import pytest
from django.utils.html import escape

from django_customer_contacts import get_contact_model
from tests.admin_helpers import app_permissions, contact_permissions, page_data, page_form, staff_user, url

SECTIONS = ["Name", "Email addresses", "Phone numbers", "Preferences and consent", "Notifications", "Account", "Notes"]


def headings(response):
    """The page's section and inline headings, in order."""
    content = response.content.decode()
    found = re.findall(r"<h2[^>]*>\s*(?:<[^>]+>\s*)*([^<]+?)\s*<", content)
    return [h for h in found if h in {*SECTIONS, "Details"}]


def flattened(fieldsets):
    return [name for _title, options in fieldsets for name in options["fields"]]


def test_the_add_page_comes_in_sections_with_the_contact_points_after_the_names(staff_client):
    response = staff_client.get(url("add"))
    assert [h for h in headings(response) if h != "Details"] == SECTIONS


def test_the_add_page_shows_no_dates_or_primary_flag(staff_client):
    response = staff_client.get(url("add"))
    shown = flattened(response.context["adminform"].fieldsets)
    for name in ("created", "modified", "is_primary", "last_contacted_at"):
        assert name not in shown
    assert "Created" not in response.content.decode()


def test_the_change_page_shows_when_the_contact_was_created_and_modified(staff_client, contact):
    response = staff_client.get(url("change", contact.pk))
    account = dict(response.context["adminform"].fieldsets)["Account"]["fields"]
    assert {"created", "modified", "is_primary", "is_active", "managed_by", "user"} <= set(account)


def test_every_field_of_the_page_is_in_one_section(staff_client, contact):
    response = staff_client.get(url("change", contact.pk))
    model_admin = response.context["adminform"].model_admin
    request = response.wsgi_request
    shown = flattened(response.context["adminform"].fieldsets)
    assert sorted(shown) == sorted(model_admin.get_fields(request, contact))
    assert len(shown) == len(set(shown))


def test_language_is_a_select_of_the_site_languages(staff_client):
    form = page_form(staff_client.get(url("add")))
    assert list(form.fields["language"].choices) == [
        ("", "---------"),
        ("en", "English"),
        ("de", "German"),
        ("fr", "French"),
    ]


def test_time_zone_is_a_sorted_select_of_the_iana_names(staff_client):
    choices = [value for value, _label in page_form(staff_client.get(url("add"))).fields["timezone"].choices][1:]
    assert "Europe/London" in choices and "America/New_York" in choices
    assert choices == sorted(choices)


def test_language_and_time_zone_chosen_are_saved(staff_client, contact):
    page = staff_client.get(url("change", contact.pk))
    response = staff_client.post(url("change", contact.pk), page_data(page, language="de", timezone="Europe/Berlin"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.language, contact.timezone) == ("de", "Europe/Berlin")


def test_a_time_zone_that_is_not_offered_is_refused(staff_client, contact):
    page = staff_client.get(url("change", contact.pk))
    response = staff_client.post(url("change", contact.pk), page_data(page, timezone="Mars/Olympus"))
    assert response.status_code == 200
    assert "timezone" in page_form(response).errors
    contact.refresh_from_db()
    assert contact.timezone == ""


def test_a_stored_value_no_longer_offered_stays_selected(staff_client, contact, settings):
    get_contact_model().objects.filter(pk=contact.pk).update(language="fr")
    settings.LANGUAGES = [("en", "English")]
    form = page_form(staff_client.get(url("change", contact.pk)))
    assert form["language"].value() == "fr"
    assert ("fr", "fr") in list(form.fields["language"].choices)


@pytest.mark.parametrize(
    ("permissions", "sentence"),
    [
        (("view", "change"), "is managed by the customer: you can view it but not change it."),
        (("view",), "You don't have permission to change contacts."),
    ],
)
def test_a_read_only_contact_page_says_why(client, django_user_model, customer, make_contact, permissions, sentence):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    client.force_login(staff_user(django_user_model, "clerk", contact_permissions(*permissions)))
    content = client.get(url("change", managed.pk)).content.decode()
    assert 'id="read-only-reason"' in content
    assert escape(sentence) in content


def test_an_editable_contact_page_has_no_read_only_sentence(client, django_user_model, customer, make_contact):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    permissions = contact_permissions("view", "change") + app_permissions("change_customer_managed_contact")
    client.force_login(staff_user(django_user_model, "lead", permissions))
    assert 'id="read-only-reason"' not in client.get(url("change", managed.pk)).content.decode()


def test_the_read_only_page_shows_tags_and_categories_in_their_sections(
    client, django_user_model, customer, make_contact
):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    client.force_login(staff_user(django_user_model, "clerk", contact_permissions("view", "change")))
    sections = dict(client.get(url("change", managed.pk)).context["adminform"].fieldsets)
    assert "tag_names" in sections["Notes"]["fields"]
    assert "category_names" in sections["Notifications"]["fields"]
