"""A host that forgot ``CUSTOMER_CONTACTS_CUSTOMER_MODEL``: the test settings without it.

The admin stays installed, as in every real host, so ``manage.py check`` imports the
app's admin (autodiscovery) before the checks run. ``CUSTOMER_CONTACTS_TEST_BASE_SETTINGS``
names the settings this starts from (default ``tests.settings``; ``tests.settings_swapped``
for a host's own contact model), and ``CUSTOMER_CONTACTS_TEST_CUSTOMER_MODEL`` gives the
setting a wrong value instead of none.
"""

import importlib
import os

_base = importlib.import_module(os.environ.get("CUSTOMER_CONTACTS_TEST_BASE_SETTINGS", "tests.settings"))
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

del CUSTOMER_CONTACTS_CUSTOMER_MODEL  # noqa: F821
if os.environ.get("CUSTOMER_CONTACTS_TEST_CUSTOMER_MODEL"):
    CUSTOMER_CONTACTS_CUSTOMER_MODEL = os.environ["CUSTOMER_CONTACTS_TEST_CUSTOMER_MODEL"]
