"""A host that swaps in its own contact model, with a UUID-keyed customer."""

import uuid

from django.conf import settings
from django.db import models

from django_customer_contacts.models import AbstractContact


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    is_business = models.BooleanField(default=False)

    def __str__(self):
        return self.name


class Contact(AbstractContact):
    """The host's contact: everything of AbstractContact plus a loyalty number."""

    loyalty_number = models.CharField(max_length=20, blank=True)

    class Meta(AbstractContact.Meta):
        pass


class Ticket(models.Model):
    subject = models.CharField(max_length=100)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="tickets"
    )


class Team(models.Model):
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.CUSTOMER_CONTACTS_CONTACT_MODEL, related_name="teams")
