"""The host rows a merge benchmark moves: a foreign key, a many-to-many and a generic foreign key."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)
    contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL, on_delete=models.CASCADE, related_name="bench_orders"
    )

    def __str__(self):
        return self.number


class Event(models.Model):
    title = models.CharField(max_length=100)
    attendees = models.ManyToManyField(settings.CUSTOMER_CONTACTS_CONTACT_MODEL, related_name="bench_events")

    def __str__(self):
        return self.title


class Note(models.Model):
    text = models.CharField(max_length=100)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.text
