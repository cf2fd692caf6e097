"""Host models that point at the active contact model in every way a CRM does.

The relations beyond Invoice and Meeting come from ``tests/host_relations.py``, shared
with ``tests/swapcrm`` so the merge tests run unchanged in both scenarios.
"""

from django.conf import settings
from django.db import models

from tests import host_relations as relations


class Invoice(models.Model):
    """A foreign key that protects the contact."""

    number = models.CharField(max_length=20)
    billing_contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )


class Meeting(models.Model):
    """A many-to-many with Django's own through table."""

    subject = models.CharField(max_length=100)
    attendees = models.ManyToManyField(settings.CUSTOMER_CONTACTS_CONTACT_MODEL, related_name="meetings")


class Opportunity(relations.Opportunity):
    """A nullable foreign key, on a model that keeps its own history."""


class Badge(relations.Badge):
    """A one-to-one; its history has UUID ids, as with SIMPLE_HISTORY_HISTORY_ID_USE_UUID."""


class Project(relations.Project):
    """A many-to-many through a model of the host's own."""


class Membership(relations.Membership):
    pass


class Activity(relations.Activity):
    """A generic foreign key with an integer object id."""


class Attachment(relations.Attachment):
    """A generic foreign key with a text object id (it can also point at UUID-keyed rows)."""


class Case(relations.Case):
    """A case, to scope one-time contacts to."""
