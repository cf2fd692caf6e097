"""Test settings: a host's own contact model and a UUID-keyed customer."""

from .settings import *  # noqa: F403
from .settings import DATABASES, DB, DB_NAME, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ("tests.crm", "tests.hostapp")]
INSTALLED_APPS.append("tests.swapcrm")

CUSTOMER_CONTACTS_CUSTOMER_MODEL = "swapcrm.Customer"
CUSTOMER_CONTACTS_CONTACT_MODEL = "swapcrm.Contact"

if DB != "sqlite":
    DATABASES["default"]["NAME"] = f"{DB_NAME}_swapped"
