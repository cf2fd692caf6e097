import itertools
import os

import pytest
from django.conf import settings

from django_customer_contacts import get_contact_model, get_customer_model

SWAPPED = settings.CUSTOMER_CONTACTS_CONTACT_MODEL != "customer_contacts.Contact"

# Scenario-specific modules are collected only under their own settings module.
collect_ignore = ["test_host_swapped.py"] if not SWAPPED else ["test_host_default.py"]
# The browser tests need Chromium and Playwright: the "browser" tox env provides them.
if not os.environ.get("CUSTOMER_CONTACTS_BROWSER_TESTS"):
    collect_ignore.append("browser")

_names = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "sqlite":
        skip = pytest.mark.skip(reason="needs row locks: runs on PostgreSQL and MariaDB")
        for item in items:
            if "race" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def make_customer(db):
    def make(name=None, **fields):
        return get_customer_model().objects.create(name=name or f"Customer {next(_names)}", **fields)

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer("Acme Ltd")


@pytest.fixture
def make_contact(db):
    def make(customer, first_name="Jane", last_name="Smith", **fields):
        return get_contact_model().objects.create(
            customer=customer, first_name=first_name, last_name=last_name, **fields
        )

    return make


@pytest.fixture
def contact(customer, make_contact):
    return make_contact(customer)


@pytest.fixture
def staff_client(client, admin_user):
    """A client logged in as a superuser."""
    client.force_login(admin_user)
    return client
