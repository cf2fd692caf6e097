"""Guards for migration operations on the default contact's history model.

When a host names its own contact model, the default ``Contact`` is swapped out:
Django skips its table, and ``FrozenHistoricalRecords`` builds no history model for
it. Operations on ``HistoricalContact`` must then be left out of the migration
state too, or they would fail (and the table would be an orphan). Wrap them:

    operations = [
        migrations.AddField("contact", ...),
        *for_default_contact(migrations.AddField("historicalcontact", ...)),
    ]

``makemigrations --check`` under the swapped test settings (a tox env) fails when a
new migration forgets this. Migration loaders skip modules starting with "_".
"""

from django.conf import settings

DEFAULT_CONTACT_MODEL_ACTIVE = settings.CUSTOMER_CONTACTS_CONTACT_MODEL.lower() == "customer_contacts.contact"


def for_default_contact(*operations):
    return list(operations) if DEFAULT_CONTACT_MODEL_ACTIVE else []
