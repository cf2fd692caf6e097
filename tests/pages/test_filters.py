"""``ContactFilterSet``: the customer pages' filters, usable by hosts on any queryset of contacts."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.filters import ContactFilterSet
from django_customer_contacts.models import NotificationCategory, Tag
from tests.pages.hooks import case_model


def names(data, queryset=None):
    queryset = queryset if queryset is not None else get_contact_model().objects.all()
    return sorted(ContactFilterSet(data, queryset=queryset).qs.values_list("first_name", flat=True))


@pytest.fixture
def people(customer, make_contact):
    model = get_contact_model()
    ann = make_contact(customer, first_name="Ann")  # primary
    ann.add_phone("07911 123456")
    bob = make_contact(customer, first_name="Bob", managed_by="customer", receive_all_notifications=False)
    bob.notification_categories.add(NotificationCategory.objects.get(code="billing"))
    bob.tags.add(Tag.objects.create(name="VIP"))
    cat = make_contact(customer, first_name="Cat", marketing_consent=True, marketing_consent_source="web form")
    make_contact(customer, first_name="Dan", is_active=False)
    case = case_model().objects.create(title="Broken boiler")
    make_contact(
        customer,
        first_name="Eve",
        scope_content_type=ContentType.objects.get_for_model(case),
        scope_object_id=str(case.pk),
    )
    old = timezone.now() - datetime.timedelta(days=400)
    model.objects.filter(pk=cat.pk).update(created=old)
    return customer


def test_by_default_active_regular_contacts_are_listed(people):
    assert names({}) == ["Ann", "Bob", "Cat"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"active": "no"}, ["Dan"]),
        ({"active": "all"}, ["Ann", "Bob", "Cat", "Dan"]),
        ({"one_time": "yes"}, ["Eve"]),
        ({"one_time": "all", "active": "all"}, ["Ann", "Bob", "Cat", "Dan", "Eve"]),
        ({"primary": "yes"}, ["Ann"]),
        ({"primary": "no"}, ["Bob", "Cat"]),
        ({"managed_by": "customer"}, ["Bob"]),
        ({"marketing_consent": "yes"}, ["Cat"]),
        ({"marketing_consent": "no"}, ["Ann", "Bob"]),
        ({"unused": "yes"}, ["Cat"]),
        ({"unused": "no"}, ["Ann", "Bob"]),
        ({"q": "123456"}, ["Ann"]),
        ({"q": "bo"}, ["Bob"]),
    ],
)
def test_each_filter(people, data, expected):
    assert names(data) == expected


def test_tag_filter(people):
    assert names({"tag": str(Tag.objects.get(name="VIP").pk)}) == ["Bob"]


def test_category_filter_includes_contacts_that_receive_all_notifications(people):
    billing = NotificationCategory.objects.get(code="billing")
    outages = NotificationCategory.objects.get(code="outages")
    assert names({"category": str(billing.pk)}) == ["Ann", "Bob", "Cat"]
    assert names({"category": str(outages.pk)}) == ["Ann", "Cat"]


def test_a_bad_value_is_a_form_error_not_a_crash(people):
    filterset = ContactFilterSet({"tag": "abc", "active": "maybe"}, queryset=get_contact_model().objects.all())
    assert sorted(filterset.qs.values_list("first_name", flat=True))  # the valid filters still apply
    assert "tag" in filterset.errors and "active" in filterset.errors


def test_a_host_subclass_can_drop_the_defaults(people):
    class EveryContact(ContactFilterSet):
        defaults = {}

    queryset = get_contact_model().objects.all()
    assert sorted(EveryContact({}, queryset=queryset).qs.values_list("first_name", flat=True)) == [
        "Ann",
        "Bob",
        "Cat",
        "Dan",
        "Eve",
    ]


def test_the_filter_set_works_on_a_queryset_the_host_gives(people, make_customer, make_contact):
    other = make_customer("Other Ltd")
    make_contact(other, first_name="Zed")
    assert names({}, get_contact_model().objects.filter(customer=people)) == ["Ann", "Bob", "Cat"]
