"""Benchmark settings: the test project's default scenario, with the benchmark's host models.

``BENCH_DB`` (``sqlite``, ``postgres`` or ``mariadb``, set by the scripts from ``--db``)
picks the database; the scripts create a throw-away database named
``CUSTOMER_CONTACTS_TEST_DB_NAME`` (default ``customer_contacts_bench``) and drop it at the end.
"""

import os
import tempfile

os.environ.setdefault("CUSTOMER_CONTACTS_TEST_DB", os.environ.get("BENCH_DB", "sqlite"))
os.environ.setdefault("CUSTOMER_CONTACTS_TEST_DB_NAME", "customer_contacts_bench")

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

# The test host app has a one-to-one to contacts that django-extensions can't merge
# (it reads the reverse one-to-one of a contact that has none): leave it out.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "tests.hostapp"] + ["benchmarks.benchapp"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, as in production, not the test settings' in-memory database.
    path = os.path.join(tempfile.gettempdir(), os.environ["CUSTOMER_CONTACTS_TEST_DB_NAME"] + ".sqlite3")
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "TEST": {"NAME": path}}
else:
    # The throw-away database gets the name given, not Django's "test_" one.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = DATABASES["default"]["NAME"]
