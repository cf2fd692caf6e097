"""Emails and phones: primary points, parsing, uniqueness and the preferences they tick."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from django_customer_contacts.models import ContactEmail, ContactPhone


def test_first_email_becomes_primary(contact):
    first = contact.add_email("jane@example.com")
    second = contact.add_email("jane.smith@example.com", kind="personal")
    first.refresh_from_db()
    assert first.is_primary and not second.is_primary
    assert contact.email == "jane@example.com"


def test_adding_a_primary_email_demotes_the_old_one(contact):
    old = contact.add_email("old@example.com")
    new = contact.add_email("new@example.com", primary=True)
    old.refresh_from_db()
    assert new.is_primary and not old.is_primary
    assert contact.email == "new@example.com"


def test_contact_without_email_or_phone_has_empty_values(contact):
    assert contact.email == ""
    assert contact.phone is None


def test_invalid_email_is_a_validation_error_and_nothing_is_saved(contact):
    with pytest.raises(ValidationError) as excinfo:
        contact.add_email("not-an-address")
    assert "email" in excinfo.value.message_dict
    assert not contact.emails.exists()


def test_phone_is_parsed_with_the_default_region_and_stored_as_e164(contact):
    phone = contact.add_phone("07911 123456")
    assert phone.number.as_e164 == "+447911123456"
    assert ContactPhone.objects.get(pk=phone.pk).number.as_e164 == "+447911123456"
    assert contact.phone.as_e164 == "+447911123456"


def test_international_phone_keeps_its_country(contact):
    assert contact.add_phone("+49 30 901820", kind="work").number.as_e164 == "+4930901820"


@pytest.mark.parametrize("number", ["12", "not a number", "+44 7911"])
def test_invalid_phone_is_a_validation_error_and_nothing_is_saved(contact, number):
    with pytest.raises(ValidationError) as excinfo:
        contact.add_phone(number)
    assert "number" in excinfo.value.message_dict
    assert not contact.phones.exists()


def test_first_phone_becomes_primary_and_a_new_primary_demotes_it(contact):
    first = contact.add_phone("07911 123456")
    assert first.is_primary
    second = contact.add_phone("020 7946 0018", kind="work", primary=True)
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary


def test_same_number_twice_on_one_contact_is_refused(contact):
    contact.add_phone("07911 123456")
    with pytest.raises(ValidationError):
        contact.add_phone("+44 7911 123456")


def test_deleting_the_primary_email_promotes_the_next_one(contact):
    first = contact.add_email("a@example.com")
    second = contact.add_email("b@example.com")
    first.delete()
    second.refresh_from_db()
    assert second.is_primary


# -- preferences ticked by the first contact point ---------------------------------


def test_first_email_ticks_email_allowed(contact):
    assert not contact.email_allowed
    contact.add_email("jane@example.com")
    contact.refresh_from_db()
    assert contact.email_allowed


def test_only_the_first_email_ticks_the_preference(contact):
    contact.add_email("jane@example.com")
    contact.email_allowed = False
    contact.save()
    contact.add_email("jane2@example.com")
    contact.refresh_from_db()
    assert not contact.email_allowed


def test_first_mobile_ticks_phone_and_sms(contact):
    contact.add_phone("07911 123456", kind="mobile")
    contact.refresh_from_db()
    assert contact.phone_allowed and contact.sms_allowed


def test_landline_ticks_phone_but_not_sms(contact):
    contact.add_phone("020 7946 0018", kind="work")
    contact.refresh_from_db()
    assert contact.phone_allowed and not contact.sms_allowed


@override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": False})
def test_mobile_does_not_tick_sms_when_sms_is_disabled(contact):
    contact.add_phone("07911 123456", kind="mobile")
    contact.refresh_from_db()
    assert contact.phone_allowed and not contact.sms_allowed


def test_points_added_through_the_model_tick_preferences_too(contact):
    ContactEmail.objects.create(contact=contact, email="direct@example.com")
    contact.refresh_from_db()
    assert contact.email_allowed


# -- database invariants -----------------------------------------------------------------


@pytest.mark.parametrize("model", [ContactEmail, ContactPhone])
def test_raw_update_to_a_second_primary_point_is_refused_by_the_database(contact, model):
    from django.db import connection

    if model is ContactEmail:
        contact.add_email("a@example.com")
        second = contact.add_email("b@example.com")
    else:
        contact.add_phone("07911 123456")
        second = contact.add_phone("020 7946 0018")
    table = connection.ops.quote_name(model._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET is_primary = %s WHERE id = %s", [True, second.pk])
    assert model.objects.filter(contact=contact, is_primary=True).count() == 1


def test_queryset_update_to_a_second_primary_email_is_refused(contact):
    contact.add_email("a@example.com")
    contact.add_email("b@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        contact.emails.update(is_primary=True)


# -- EMAIL_UNIQUE and EMAIL_EDITABLE -----------------------------------------------------


def test_same_email_twice_on_one_contact_is_refused_ignoring_case(contact):
    contact.add_email("jane@example.com")
    with pytest.raises(ValidationError):
        contact.add_email("JANE@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactEmail.objects.create(contact=contact, email="Jane@EXAMPLE.com")


def test_email_unique_per_customer_by_default(customer, make_customer, make_contact):
    make_contact(customer, first_name="Ann").add_email("shared@example.com")
    bob = make_contact(customer, first_name="Bob")
    with pytest.raises(ValidationError) as excinfo:
        bob.add_email("Shared@Example.com")
    assert "Another contact of this customer already uses" in str(excinfo.value)
    # Another customer's contact may use it.
    make_contact(make_customer()).add_email("shared@example.com")


@override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": "global"})
def test_email_unique_globally_when_configured(customer, make_customer, make_contact):
    make_contact(customer).add_email("shared@example.com")
    with pytest.raises(ValidationError) as excinfo:
        make_contact(make_customer()).add_email("SHARED@example.com")
    assert "Another contact already uses" in str(excinfo.value)


@override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": None})
def test_email_may_repeat_across_contacts_when_unique_is_none(customer, make_contact):
    make_contact(customer, first_name="Ann").add_email("shared@example.com")
    make_contact(customer, first_name="Bob").add_email("shared@example.com")
    assert ContactEmail.objects.filter(email_normalized="shared@example.com").count() == 2


def test_email_can_be_edited_by_default(contact):
    email = contact.add_email("old@example.com")
    email.email = "new@example.com"
    email.full_clean()
    email.save()
    assert ContactEmail.objects.get(pk=email.pk).email == "new@example.com"


@override_settings(CUSTOMER_CONTACTS={"EMAIL_EDITABLE": False})
def test_email_cannot_be_changed_when_not_editable(contact):
    email = contact.add_email("old@example.com")
    email.email = "new@example.com"
    with pytest.raises(ValidationError) as excinfo:
        email.full_clean()
    assert "Remove this address and add the new one" in str(excinfo.value)
    with pytest.raises(ValidationError):
        email.save()
    assert ContactEmail.objects.get(pk=email.pk).email == "old@example.com"


@override_settings(CUSTOMER_CONTACTS={"EMAIL_EDITABLE": False})
def test_not_editable_email_can_still_be_removed_and_re_added(contact):
    email = contact.add_email("old@example.com")
    email.kind = "personal"
    email.save()  # other fields stay editable
    email.delete()
    assert contact.add_email("new@example.com").is_primary
