"""Where the contact admin is registered: once, by the app, with the class a host names."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.admin import ContactAdmin, register_contact_admin
from django_customer_contacts.checks import check_contact_admin_class


class HostContactAdmin(ContactAdmin):
    list_per_page = 7


def test_the_app_registers_its_contact_admin_on_the_default_site():
    assert type(admin.site._registry[get_contact_model()]) is ContactAdmin


def test_a_host_names_its_own_contact_admin_class():
    site = admin.AdminSite(name="host")
    with override_settings(CUSTOMER_CONTACTS={"CONTACT_ADMIN_CLASS": f"{__name__}.HostContactAdmin"}):
        assert register_contact_admin(site) is HostContactAdmin
    assert type(site._registry[get_contact_model()]) is HostContactAdmin


def test_none_leaves_the_contact_model_unregistered():
    site = admin.AdminSite(name="host")
    with override_settings(CUSTOMER_CONTACTS={"CONTACT_ADMIN_CLASS": None}):
        assert register_contact_admin(site) is None
    assert not site.is_registered(get_contact_model())


def test_a_registration_the_host_made_itself_is_kept():
    site = admin.AdminSite(name="host")
    site.register(get_contact_model(), HostContactAdmin)
    assert register_contact_admin(site) is None
    assert type(site._registry[get_contact_model()]) is HostContactAdmin


def test_importing_the_admin_classes_registers_nothing():
    """A host imports ContactInline and ContactAdmin without the app registering anything."""
    code = (
        "import django; django.setup();"
        "from django.contrib import admin;"
        "from django_customer_contacts import get_contact_model;"
        "from django_customer_contacts.admin import ContactAdmin, ContactInline;"
        "print(admin.site.is_registered(get_contact_model()))"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings_no_contact_admin", "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "message"),
    [("tests.nope.Admin", "can't be imported"), ("django_customer_contacts.models.Tag", "not a ModelAdmin")],
)
def test_a_contact_admin_class_that_is_not_a_model_admin_is_e009(value, message):
    with override_settings(CUSTOMER_CONTACTS={"CONTACT_ADMIN_CLASS": value}):
        errors = check_contact_admin_class()
    assert [error.id for error in errors] == ["customer_contacts.E009"]
    assert message in errors[0].msg
