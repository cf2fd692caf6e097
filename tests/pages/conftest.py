"""Fixtures of the customer pages' tests: staff with every permission the pages use, and
staff who may only view contacts."""

import pytest
from django.test import Client

from tests.conftest import SWAPPED
from tests.pages.helpers import APP_PERMISSIONS, make_staff


@pytest.fixture
def clerk(django_user_model):
    """Staff with every permission the pages ask for, but not a superuser."""
    return make_staff(django_user_model, "clerk", app=(*APP_PERMISSIONS, "add_user"))


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def viewer(django_user_model):
    """Staff who may only view contacts."""
    return make_staff(django_user_model, "viewer", actions=("view",), app=())


@pytest.fixture
def viewer_client(viewer):
    """A client of its own: a test may use it beside ``clerk_client``."""
    client = Client()
    client.force_login(viewer)
    return client


# A host's own contact model (tests/settings_swapped.py) has fields of its own.
collect_ignore = [] if SWAPPED else ["test_swapped.py"]
