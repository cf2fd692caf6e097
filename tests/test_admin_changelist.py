"""The contact list staff open every day: active contacts first, columns that fit a laptop screen."""

import pytest
from django.contrib import admin

from django_customer_contacts.admin import ContactInline
from django_customer_contacts.normalize import display_phone
from tests.admin_helpers import customer_url, url


def listed(response):
    return sorted(contact.first_name for contact in response.context["cl"].result_list)


@pytest.fixture
def team(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Old", is_active=False)
    return ann


def test_the_list_shows_active_contacts_by_default(staff_client, team):
    response = staff_client.get(url("changelist"))
    assert listed(response) == ["Ann"]
    content = response.content.decode()
    assert 'href="?active=inactive"' in content and 'href="?active=all"' in content


@pytest.mark.parametrize(("choice", "names"), [("inactive", ["Old"]), ("all", ["Ann", "Old"])])
def test_the_status_filter_shows_inactive_or_all_contacts(staff_client, team, choice, names):
    assert listed(staff_client.get(url("changelist"), {"active": choice})) == names


def test_the_status_chosen_is_kept_by_the_search_and_the_pages(staff_client, customer, make_contact, team):
    for i in range(101):  # more than one page
        make_contact(customer, first_name=f"Gone{i}", is_active=False)
    response = staff_client.get(url("changelist"), {"active": "inactive", "q": "Smith"})
    content = response.content.decode()
    assert '<input type="hidden" name="active" value="inactive">' in content
    assert "?active=inactive&amp;p=2&amp;q=Smith" in content or "?active=inactive&amp;q=Smith&amp;p=2" in content
    assert "Ann" not in listed(response)
    page_two = staff_client.get(url("changelist"), {"active": "inactive", "q": "Smith", "p": 2})
    assert len(page_two.context["cl"].result_list) == 2 and "Ann" not in listed(page_two)


def test_the_list_has_five_short_columns(staff_client, team):
    response = staff_client.get(url("changelist"))
    cl = response.context["cl"]
    assert cl.list_display == ["action_checkbox", "__str__", "customer", "primary_email", "primary_phone", "status"]
    content = response.content.decode()
    for header in ("Contact", "Customer", "Email", "Phone", "Status"):
        assert f">{header}</a>" in content or f"<span>{header}</span>" in content


def test_the_status_column_says_what_sets_a_contact_apart(staff_client, customer, make_contact, team):
    make_contact(
        customer, first_name="Self", managed_by="customer", marketing_consent=True, marketing_consent_source="web"
    )
    response = staff_client.get(url("changelist"), {"active": "all"})
    model_admin = response.context["cl"].model_admin
    status = {c.first_name: model_admin.status(c) for c in response.context["cl"].result_list}
    assert status == {"Ann": "primary", "Old": "inactive", "Self": "customer-managed, marketing consent"}


def test_phones_are_shown_in_the_national_format_of_the_default_region(staff_client, customer, make_contact, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "GB"
    local = make_contact(customer, first_name="Local")
    local.add_phone("+447911123456")
    abroad = make_contact(customer, first_name="Abroad")
    abroad.add_phone("+33123456789")
    content = staff_client.get(url("changelist")).content.decode()
    assert "07911 123456" in content
    assert "+33 1 23 45 67 89" in content
    assert "+447911123456" not in content


def test_display_phone_follows_the_default_region(settings):
    settings.PHONENUMBER_DEFAULT_REGION = "FR"
    assert display_phone("+33123456789") == "01 23 45 67 89"
    assert display_phone("+447911123456") == "+44 7911 123456"
    assert display_phone("+999") == "+999"  # not a number: as stored
    assert display_phone(None) == ""


@pytest.mark.parametrize("rows", [10, 100])
def test_the_list_of_all_contacts_takes_the_same_queries_for_10_and_100_rows(
    staff_client, make_customer, make_contact, django_assert_max_num_queries, rows
):
    for i in range(rows):
        contact = make_contact(make_customer(), first_name=f"P{i}", is_active=i % 2 == 0)
        contact.add_phone(f"07911 {100000 + i}")
    with django_assert_max_num_queries(6):
        response = staff_client.get(url("changelist"), {"active": "all", "all": ""})
    assert len(response.context["cl"].result_list) == rows


def test_the_customer_page_lists_contacts_in_short_columns(staff_client, team):
    content = staff_client.get(customer_url(team.customer)).content.decode()
    inline = next(i for i in admin.site._registry[type(team.customer)].inlines if issubclass(i, ContactInline))
    assert inline.fields == ["title", "first_name", "last_name", "job_title", "primary", "is_active"]
    assert 'size="14"' in content  # narrower than the admin's 20em inputs
    assert "Primary contact</th>" not in content
