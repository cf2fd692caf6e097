"""A host that swaps in its own contact model, with a UUID-keyed customer.

Besides the contact, the host relations of ``tests/host_relations.py`` (as ``tests.hostapp``)
(``Ticket`` and ``Team`` in place of ``Invoice`` and ``Meeting``), so the merge tests
run unchanged in both scenarios; ``Contact.interests`` adds a many-to-many declared on
the contact model itself, which only a host's own contact model can have.
"""

import uuid

from django.conf import settings
from django.db import models

from django_customer_contacts.models import AbstractContact
from tests import host_relations as relations


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    is_business = models.BooleanField(default=False)

    def __str__(self):
        return self.name


class Interest(models.Model):
    name = models.CharField(max_length=50)


class Contact(AbstractContact):
    """The host's contact: everything of AbstractContact plus a loyalty number and interests."""

    loyalty_number = models.CharField(max_length=20, blank=True)
    interests = models.ManyToManyField(Interest, blank=True, related_name="contacts")

    class Meta(AbstractContact.Meta):
        pass


class Ticket(models.Model):
    """A foreign key that cascades."""

    subject = models.CharField(max_length=100)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="tickets"
    )


class Team(models.Model):
    """A many-to-many with Django's own through table."""

    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.CUSTOMER_CONTACTS_CONTACT_MODEL, related_name="teams")


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
