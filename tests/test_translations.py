"""The app speaks German and French: its catalogues are shipped and used."""

import pytest
from django.utils import translation

from tests.admin_helpers import url


def in_german(message):
    with translation.override("de"):
        translated = translation.gettext(message)
    assert translated != message, f"{message!r} has no German translation"
    return translated


@pytest.fixture
def german(settings):
    settings.LANGUAGE_CODE = "de"
    yield
    translation.activate("en")


def test_the_admin_merge_page_is_in_german(german, staff_client, customer, make_contact):
    jane = make_contact(customer, first_name="Jane", job_title="CFO")
    dup = make_contact(customer, first_name="Jane", job_title="")
    html = staff_client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"}).content.decode()
    for message in ("Merge contacts", "Keep this contact", "Preview"):
        assert in_german(message) in html
    assert ">Merge contacts<" not in html


def test_the_contact_form_is_in_german(german, staff_client, contact):
    html = staff_client.get(url("change", contact.pk)).content.decode()
    for message in ("first name", "marketing consent", "notification categories"):
        assert in_german(message).capitalize() in html or in_german(message) in html


def test_model_names_are_translated():
    from django_customer_contacts.models import Tag

    with translation.override("fr"):
        assert str(Tag._meta.verbose_name_plural) != "tags"
