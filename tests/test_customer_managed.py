"""Contacts the customer manages: staff can view them but need an extra permission to change them."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from django_customer_contacts import get_contact_model
from django_customer_contacts.permissions import (
    can_change_contact,
    can_delete_contact,
    can_view_contact,
    check_can_change_contact,
    check_can_delete_contact,
)


def grant(user, *perms):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    # has_perm caches permissions on the instance: fetch the user afresh.
    return type(user).objects.get(pk=user.pk)


def model_perm(action):
    opts = get_contact_model()._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    return grant(user, model_perm("view"), model_perm("change"), model_perm("delete"))


@pytest.fixture
def customer_managed(customer, make_contact):
    return make_contact(customer, first_name="Fleet", last_name="Manager", managed_by="customer")


def test_staff_can_change_and_delete_provider_managed_contacts(staff, contact):
    assert can_view_contact(staff, contact)
    assert can_change_contact(staff, contact)
    assert can_delete_contact(staff, contact)
    check_can_change_contact(staff, contact)
    check_can_delete_contact(staff, contact)


def test_staff_can_view_but_not_change_customer_managed_contacts(staff, customer_managed):
    assert can_view_contact(staff, customer_managed)
    assert not can_change_contact(staff, customer_managed)
    assert not can_delete_contact(staff, customer_managed)
    with pytest.raises(PermissionDenied, match="managed by the customer"):
        check_can_change_contact(staff, customer_managed)
    with pytest.raises(PermissionDenied, match="managed by the customer"):
        check_can_delete_contact(staff, customer_managed)


def test_the_extra_permission_unlocks_customer_managed_contacts(staff, customer_managed):
    staff = grant(staff, "customer_contacts.change_customer_managed_contact")
    assert can_change_contact(staff, customer_managed)
    assert can_delete_contact(staff, customer_managed)


def test_the_extra_permission_alone_changes_nothing(django_user_model, customer_managed):
    user = grant(
        django_user_model.objects.create_user("helper", password="pw"),
        "customer_contacts.change_customer_managed_contact",
    )
    assert not can_change_contact(user, customer_managed)
    with pytest.raises(PermissionDenied, match="permission to change"):
        check_can_change_contact(user, customer_managed)


def test_superusers_may_change_everything(django_user_model, customer_managed):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    assert can_change_contact(admin, customer_managed)
    assert can_delete_contact(admin, customer_managed)


def test_without_a_contact_the_model_permission_decides(staff, django_user_model):
    assert can_change_contact(staff)
    assert not can_change_contact(django_user_model.objects.create_user("nobody", password="pw"))


def test_customer_managed_contacts_can_be_listed(customer, contact, customer_managed):
    assert list(get_contact_model().objects.managed_by_customer()) == [customer_managed]
