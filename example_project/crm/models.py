"""The example CRM's own data. Contacts come from django-customer-contacts.

Invoices and cases point at contacts the way a real CRM's tables would: through
``settings.CUSTOMER_CONTACTS_CONTACT_MODEL``, never the class, so the contact model
can be swapped. Notes attach to a contact, a customer or a case through a generic
foreign key. Merging duplicate contacts re-points all of these rows at the survivor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """A customer of the CRM: a private person or a business."""

    class Kind(models.TextChoices):
        PRIVATE = "private", _("Private")
        BUSINESS = "business", _("Business")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    created = models.DateTimeField(_("customer since"), default=timezone.now)
    notes = GenericRelation("Note", related_query_name="customer")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    """An invoice, addressed to one of the customer's contacts."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("customer")
    )
    billing_contact = models.ForeignKey(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("billing contact"),
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)

    class Meta:
        ordering = ["-issued_on", "-number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        super().clean()
        if (
            self.billing_contact_id is not None
            and self.customer_id is not None
            and self.billing_contact.customer_id != self.customer_id
        ):
            raise ValidationError({"billing_contact": _("The billing contact must be a contact of this customer.")})


class Case(models.Model):
    """A support case; some of the customer's contacts watch it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for customer")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cases", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    watchers = models.ManyToManyField(
        settings.CUSTOMER_CONTACTS_CONTACT_MODEL,
        related_name="watched_cases",
        blank=True,
        verbose_name=_("watchers"),
        help_text=_("Contacts who are told about every update to this case."),
    )
    created = models.DateTimeField(_("opened"), default=timezone.now)
    notes = GenericRelation("Note", related_query_name="case")

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.title

    def customer_contacts_open(self) -> bool:
        """django-customer-contacts asks this: a closed case no longer reaches its one-time contacts."""
        return self.status != self.Status.CLOSED


class NoteQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> NoteQuerySet:
        """The notes on ``obj`` (a contact, a customer or a case)."""
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)

    def attach(self, objects: Iterable[models.Model], attr: str = "crm_notes") -> list[models.Model]:
        """Set ``attr`` on each of ``objects`` (all of one model) to its notes: one query.

        Contacts can't carry a ``GenericRelation`` back to notes (the contact model
        belongs to django-customer-contacts), so pages that list contacts use this
        instead of ``prefetch_related``.
        """
        objects = list(objects)
        if not objects:
            return objects
        content_type = ContentType.objects.get_for_model(objects[0])
        by_object: dict[Any, list[Note]] = {}
        notes = self.filter(content_type=content_type, object_id__in=[obj.pk for obj in objects]).select_related(
            "author"
        )
        for note in notes:
            by_object.setdefault(note.object_id, []).append(note)
        for obj in objects:
            setattr(obj, attr, by_object.get(obj.pk, []))
        return objects


class Note(models.Model):
    """A free-text note a member of staff keeps on a contact, a customer or a case."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("attached to (type)"))
    object_id = models.PositiveBigIntegerField(_("attached to (id)"))
    target = GenericForeignKey("content_type", "object_id")
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crm_notes",
        verbose_name=_("author"),
    )
    created = models.DateTimeField(_("written"), default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        first_line = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first_line if len(first_line) <= 60 else f"{first_line[:59]}…"

    def clean(self) -> None:
        super().clean()
        if self.content_type_id is None:
            return
        allowed = {Customer, Case, _contact_model()}
        if self.content_type.model_class() not in allowed:
            raise ValidationError(
                {"content_type": _("A note can be attached to a contact, a customer or a case only.")}
            )
        if self.object_id is not None and self.target is None:
            raise ValidationError({"object_id": _("There is no such object to attach the note to.")})


def _contact_model() -> type[models.Model]:
    from django_customer_contacts import get_contact_model

    return get_contact_model()
