"""A host that swaps in its own contact model, with a UUID-keyed customer.

Besides the contact, the same set of host relations as ``tests/hostapp/models.py``
(``Ticket`` and ``Team`` in place of ``Invoice`` and ``Meeting``), so the merge tests
run unchanged in both scenarios; ``Contact.interests`` adds a many-to-many declared on
the contact model itself, which only a host's own contact model can have.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords

from django_customer_contacts.models import AbstractContact


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


class Opportunity(models.Model):
    """A nullable foreign key, on a model that keeps its own history."""

    title = models.CharField(max_length=100)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    history = HistoricalRecords()


class Badge(models.Model):
    """A one-to-one; its history has UUID ids, as with SIMPLE_HISTORY_HISTORY_ID_USE_UUID."""

    code = models.CharField(max_length=20)
    contact = models.OneToOneField(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="badge"
    )
    history = HistoricalRecords(history_id_field=models.UUIDField(default=uuid.uuid4))


class Project(models.Model):
    """A many-to-many through a model of the host's own."""

    name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, through="Membership", related_name="projects"
    )


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "contact"], name="%(app_label)s_membership_once_per_project")
        ]


class Activity(models.Model):
    """A generic foreign key with an integer object id."""

    summary = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name_plural = "activities"


class Attachment(models.Model):
    """A generic foreign key with a text object id (it can also point at UUID-keyed rows)."""

    name = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]
