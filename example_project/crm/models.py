"""The example CRM's own data. Contacts come from django-customer-contacts.

Invoices and cases point at contacts the way a real CRM's tables would: through
``settings.CUSTOMER_CONTACTS_CONTACT_MODEL``, never the class, so the contact model
can be swapped. Merging duplicate contacts re-points these rows at the survivor.
"""

from django.conf import settings
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

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.title
