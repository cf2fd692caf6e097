"""Saving a contact that looks like an existing one asks first: the form shows the match,
with a link, and saves only once "Save anyway" is ticked."""

import datetime

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.forms import ContactForm
from tests.admin_helpers import page_data, url

BIRTHDAY = datetime.date(1980, 3, 12)


@pytest.fixture
def robert(customer, make_contact):
    return make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)


def add_data(customer, **fields):
    return {
        "customer": customer.pk,
        "first_name": "Bob",
        "last_name": "Smith",
        "birthday": "1980-03-12",
        "managed_by": "provider",
        "preferred_channel": "any",
        "is_active": "on",
        "receive_all_notifications": "on",
        "automated_followups": "on",
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "phones-TOTAL_FORMS": "0",
        "phones-INITIAL_FORMS": "0",
        **fields,
    }


def bobs():
    return get_contact_model().objects.filter(first_name="Bob")


def test_the_admin_add_page_shows_the_match_and_saves_nothing(staff_client, customer, robert):
    response = staff_client.post(url("add"), add_data(customer))
    assert response.status_code == 200
    [error] = response.context["adminform"].form.non_field_errors()
    assert "This contact looks like an existing contact of the same customer" in error
    assert f'<a href="{url("change", robert.pk)}">Robert Smith</a>' in error
    assert "first names bob and robert: nickname" in error
    page = response.content.decode()
    assert 'type="checkbox" name="save_anyway"' in page
    assert not bobs().exists()


def test_save_anyway_saves_it(staff_client, customer, robert):
    response = staff_client.post(url("add"), add_data(customer, save_anyway="on"))
    assert response.status_code == 302
    assert bobs().count() == 1


def test_a_contact_like_no_other_is_saved_without_asking(staff_client, customer, robert):
    response = staff_client.post(url("add"), add_data(customer, first_name="Anna", birthday="1990-01-01"))
    assert response.status_code == 302
    assert 'type="checkbox" name="save_anyway"' not in staff_client.get(url("add")).content.decode()


def test_the_same_person_at_another_customer_is_no_duplicate(staff_client, make_customer, robert):
    assert staff_client.post(url("add"), add_data(make_customer())).status_code == 302


def test_an_address_typed_in_the_email_inline_is_a_match(staff_client, customer, make_contact):
    make_contact(customer, first_name="Anne", last_name="Smith").add_email("anne.smith@example.com")
    data = add_data(
        customer,
        first_name="Ann",
        birthday="",
        **{"emails-TOTAL_FORMS": "1", "emails-0-email": "ANNE.SMITH@example.com", "emails-0-kind": "work"},
    )
    response = staff_client.post(url("add"), data)
    assert response.status_code == 200
    assert "same email anne.smith@example.com" in response.context["adminform"].form.non_field_errors()[0]


def test_editing_other_fields_of_a_known_duplicate_doesnt_ask(staff_client, customer, robert, make_contact):
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    page = staff_client.get(url("change", bob.pk))
    response = staff_client.post(url("change", bob.pk), page_data(page, job_title="CFO"))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.job_title == "CFO"


def test_renaming_a_contact_into_a_look_alike_asks(staff_client, customer, robert, make_contact):
    anna = make_contact(customer, first_name="Anna", last_name="Jones", birthday=BIRTHDAY)
    page = staff_client.get(url("change", anna.pk))
    response = staff_client.post(url("change", anna.pk), page_data(page, first_name="Rob", last_name="Smith"))
    assert response.status_code == 200
    anna.refresh_from_db()
    assert anna.first_name == "Anna"


def test_a_dismissed_pair_doesnt_ask(staff_client, customer, robert, make_contact):
    from django_customer_contacts.services import dismiss_duplicates

    anna = make_contact(customer, first_name="Anna", last_name="Jones", birthday=BIRTHDAY)
    dismiss_duplicates([anna, robert])
    page = staff_client.get(url("change", anna.pk))
    assert (
        staff_client.post(url("change", anna.pk), page_data(page, first_name="Rob", last_name="Smith")).status_code
        == 302
    )


def test_the_apps_contact_form_asks_too(customer, robert):
    data = {
        "customer": customer.pk,
        "first_name": "Bob",
        "last_name": "Smith",
        "birthday": "1980-12-03",  # day and month swapped
        "managed_by": "provider",
        "preferred_channel": "any",
    }
    form = ContactForm(data)
    assert not form.is_valid()
    assert "Robert Smith (score" in form.non_field_errors()[0]
    assert "<a " not in form.non_field_errors()[0]  # no admin here: no link
    form = ContactForm({**data, "save_anyway": "on"})
    assert form.is_valid(), form.errors


def test_a_read_only_contact_page_shows_no_save_anyway(client, django_user_model, robert):
    from tests.admin_helpers import contact_permissions, staff_user

    client.force_login(staff_user(django_user_model, "viewer", contact_permissions("view")))
    response = client.get(url("change", robert.pk))
    assert response.status_code == 200
    assert "save_anyway" not in response.content.decode()
