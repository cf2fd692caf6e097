"""Contacts: names, validation, and the query vocabulary."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import AbstractContact, NotificationCategory, Tag


def test_full_name_joins_first_middle_and_last_with_single_spaces(customer, make_contact):
    contact = make_contact(customer, first_name=" Jane ", middle_name="Anne  Marie", last_name="Smith")
    assert contact.full_name == "Jane Anne Marie Smith"


def test_display_name_puts_the_title_label_before_the_full_name(customer, make_contact):
    contact = make_contact(customer, title="dr", first_name="Jane", middle_name="Anne", last_name="Smith")
    assert contact.display_name == "Dr Jane Anne Smith"
    assert str(contact) == "Dr Jane Anne Smith"


def test_display_name_without_title_is_the_full_name(customer, make_contact):
    assert make_contact(customer, first_name="", last_name="Smith").display_name == "Smith"


def test_contact_needs_a_first_or_last_name(customer):
    contact = get_contact_model()(customer=customer, first_name=" ", last_name="")
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert "last_name" in excinfo.value.message_dict


@pytest.mark.parametrize("first,last", [("Jane", ""), ("", "Smith")])
def test_either_name_alone_is_enough(customer, first, last):
    get_contact_model()(customer=customer, first_name=first, last_name=last).full_clean()


def test_timezone_must_be_an_iana_name(customer):
    contact = get_contact_model()(customer=customer, last_name="Smith", timezone="Mars/Olympus")
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert "timezone" in excinfo.value.message_dict
    contact.timezone = "Europe/London"
    contact.full_clean()


def test_language_must_be_one_of_the_site_languages(customer):
    contact = get_contact_model()(customer=customer, last_name="Smith", language="xx")
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert "language" in excinfo.value.message_dict
    contact.language = "de"
    contact.full_clean()


def test_title_must_be_one_of_the_choices(customer):
    contact = get_contact_model()(customer=customer, last_name="Smith", title="sir")
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert "title" in excinfo.value.message_dict


def test_active_model_is_a_subclass_of_abstract_contact():
    assert issubclass(get_contact_model(), AbstractContact)


def test_customer_reaches_its_contacts_through_contacts(customer, make_contact):
    jane = make_contact(customer)
    assert list(customer.contacts.all()) == [jane]


def test_deleting_the_customer_deletes_its_contacts(customer, make_contact):
    make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    customer.delete()
    assert get_contact_model().objects.count() == 0


def test_for_customer_leaves_out_one_time_contacts_and_other_customers(make_customer, make_contact):
    from django.contrib.contenttypes.models import ContentType

    first, second = make_customer(), make_customer()
    regular = make_contact(first)
    make_contact(second)
    case = Tag.objects.create(name="Case 17")  # any model instance can be a scope
    one_time = make_contact(
        first,
        first_name="Temp",
        scope_content_type=ContentType.objects.get_for_model(Tag),
        scope_object_id=str(case.pk),
    )
    model = get_contact_model()
    assert list(model.objects.for_customer(first)) == [regular]
    assert list(model.objects.for_scope(case)) == [one_time]
    assert one_time.is_primary is False


def test_one_time_contact_needs_both_scope_type_and_id(customer):
    from django.contrib.contenttypes.models import ContentType

    contact = get_contact_model()(
        customer=customer, last_name="Temp", scope_content_type=ContentType.objects.get_for_model(Tag)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        contact.save()


def test_active_and_primary_querysets(customer, make_contact):
    primary = make_contact(customer, first_name="Ann")
    inactive = make_contact(customer, first_name="Bob", is_active=False)
    model = get_contact_model()
    assert list(model.objects.primary()) == [primary]
    assert inactive not in model.objects.active()


def test_notification_categories_are_there_after_migrate(db):
    codes = set(NotificationCategory.objects.values_list("code", flat=True))
    assert {"billing", "helpdesk", "usage", "outages", "general"} <= codes


def test_contacts_can_opt_into_categories_and_carry_tags(contact):
    billing = NotificationCategory.objects.get(code="billing")
    contact.notification_categories.add(billing)
    contact.tags.add(Tag.objects.create(name="VIP"))
    assert list(contact.notification_categories.all()) == [billing]
    assert [tag.name for tag in contact.tags.all()] == ["VIP"]
    assert list(get_contact_model().objects.filter(tags__name="VIP")) == [contact]


def test_tag_names_are_unique_ignoring_case(db):
    Tag.objects.create(name="VIP")
    with pytest.raises(ValidationError):
        Tag(name="vip").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="Vip")


def test_tag_names_keep_their_spelling_but_not_extra_spaces(db):
    assert Tag.objects.create(name="  Key   account ").name == "Key account"


def test_name_key_is_casefolded_and_accent_stripped(customer, make_contact):
    contact = make_contact(customer, first_name="  José", middle_name="", last_name="ÁLVAREZ  Núñez")
    assert contact.name_key == "jose alvarez nunez"
    assert get_contact_model().objects.filter(name_key="jose alvarez nunez").get() == contact


def test_name_key_follows_a_rename_saved_with_update_fields(contact):
    contact.last_name = "Müller"
    contact.save(update_fields=["last_name"])
    contact.refresh_from_db()
    assert contact.name_key == "jane muller"


def test_duplicate_tag_error_speaks_of_the_name_only(db):
    Tag.objects.create(name="Key account")
    with pytest.raises(ValidationError) as excinfo:
        Tag(name="KEY ACCOUNT").full_clean()
    assert excinfo.value.message_dict == {"name": ["A tag with this name already exists."]}
