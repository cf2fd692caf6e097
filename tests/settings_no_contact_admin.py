"""The test settings with the contact admin left to the host (``CONTACT_ADMIN_CLASS = None``)."""

from tests.settings import *  # noqa: F403

CUSTOMER_CONTACTS = {"CONTACT_ADMIN_CLASS": None}
