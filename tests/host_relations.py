"""Host models pointing at the active contact model in every way a CRM does.

Abstract, so that both host test apps declare the same set: ``tests.hostapp`` (the
default contact model) and ``tests.swapcrm`` (a host's own contact model). The merge
tests then run unchanged in both scenarios.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords


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
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class Badge(models.Model):
    """A one-to-one; its history has UUID ids, as with SIMPLE_HISTORY_HISTORY_ID_USE_UUID."""

    code = models.CharField(max_length=20)
    contact = models.OneToOneField(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="badge"
    )
    history = HistoricalRecords(inherit=True, history_id_field=models.UUIDField(default=uuid.uuid4))

    class Meta:
        abstract = True


class Project(models.Model):
    """A many-to-many through a model of the host's own."""

    name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        abstract = True


class Membership(models.Model):
    project = models.ForeignKey("Project", on_delete=models.CASCADE)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=50, blank=True)

    class Meta:
        abstract = True
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
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name_plural = "activities"


class Attachment(models.Model):
    """A generic foreign key with a text object id (it can also point at UUID-keyed rows)."""

    name = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]


class Case(models.Model):
    """A support case: one-time contacts point at it through their scope (a generic relation).

    It says when it is over with ``customer_contacts_open()``, the method the app's
    default ``SCOPE_OPEN`` looks for. ``open_as_filter`` switches the method to the filter
    form the docs describe (class-wide, for the tests).
    """

    title = models.CharField(max_length=100)
    closed_at = models.DateTimeField(null=True, blank=True)

    open_as_filter = False

    class Meta:
        abstract = True

    def customer_contacts_open(self):
        if self.open_as_filter:
            return models.Q(closed_at__isnull=True)
        return self.closed_at is None
