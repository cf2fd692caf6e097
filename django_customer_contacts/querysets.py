"""The query vocabulary of contacts: ``Contact.objects.active().for_customer(c)``."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction


class ContactQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        # A savepoint, so a refused deletion (PrimaryContactError) leaves the
        # caller's transaction usable.
        with transaction.atomic(using=self.db):
            return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def active(self) -> ContactQuerySet:
        return self.filter(is_active=True)

    def primary(self) -> ContactQuerySet:
        return self.filter(is_primary=True)

    def regular(self) -> ContactQuerySet:
        """Contacts that are not one-time contacts."""
        return self.filter(scope_content_type__isnull=True)

    def one_time(self) -> ContactQuerySet:
        return self.filter(scope_content_type__isnull=False)

    def for_customer(self, customer: Any) -> ContactQuerySet:
        """The customer's regular contacts (one-time contacts are left out)."""
        customer_id = getattr(customer, "pk", customer)
        return self.regular().filter(customer_id=customer_id)

    def for_scope(self, obj: models.Model) -> ContactQuerySet:
        """The one-time contacts that exist for ``obj`` (a case, a ticket, …)."""
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        return self.filter(scope_content_type=content_type, scope_object_id=str(obj.pk))


class ContactManager(models.Manager.from_queryset(ContactQuerySet)):  # type: ignore[misc]
    pass
