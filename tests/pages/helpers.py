"""Helpers of the customer pages' tests (the fixtures are in ``conftest.py``)."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.admin_helpers import app_permissions, contact_permissions

#: The custom permissions of the app that the pages use.
APP_PERMISSIONS = ("merge_contact", "set_primary_contact", "export_contact")


def page(name, customer, **kwargs):
    """The URL of the customer page ``name`` (``contact_list``, ``contact_edit``, …) of ``customer``."""
    return reverse(f"customer_contacts:{name}", kwargs={"customer_pk": customer.pk, **kwargs})


def make_staff(django_user_model, username, *, actions=("view", "add", "change", "delete"), app=APP_PERMISSIONS):
    user = django_user_model.objects.create_user(username, email=f"{username}@staff.example", is_staff=True)
    user.user_permissions.add(*contact_permissions(*actions), *app_permissions(*app))
    if "add_user" in app:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="auth", codename="add_user"))
    return django_user_model.objects.get(pk=user.pk)


def management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def new_contact_data(**fields):
    """What the "New contact" page posts for a contact with ``fields`` (no emails or phones)."""
    data = {
        "title": "",
        "first_name": "Jane",
        "last_name": "Smith",
        "preferred_channel": "any",
        "is_active": "on",
        "receive_all_notifications": "True",
        "automated_followups": "on",
        **management("emails"),
        **management("phones"),
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def with_points(data, emails=(), phones=()):
    """``data`` with these emails (address, kind) and phones (number, kind) as new rows."""
    data = dict(data)
    data.update(management("emails", len(emails)))
    data.update(management("phones", len(phones)))
    for i, (address, kind) in enumerate(emails):
        data[f"emails-{i}-email"] = address
        data[f"emails-{i}-kind"] = kind
    for i, (number, kind) in enumerate(phones):
        data[f"phones-{i}-number"] = number
        data[f"phones-{i}-kind"] = kind
    return data
