"""Host models that point at the default contact model (FK and M2M)."""

from django.conf import settings
from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=20)
    billing_contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )


class Meeting(models.Model):
    subject = models.CharField(max_length=100)
    attendees = models.ManyToManyField(settings.CUSTOMER_CONTACTS_CONTACT_MODEL, related_name="meetings")
