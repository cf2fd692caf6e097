"""``ContactInline``: a customer's contacts on the host's own customer admin page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .. import get_contact_model
from ..checks import customer_relation_resolved
from ..permissions import can_change_contact
from ..unused import unused_review_due

if TYPE_CHECKING:
    from ..models import AbstractContact
    from ..querysets import ContactQuerySet

    # Django's form and admin classes can't be subscripted at runtime: generic for type
    # checkers only. The parent is the host's customer model.
    _ContactInlineFormSetBase = forms.BaseInlineFormSet[AbstractContact, models.Model, forms.ModelForm[AbstractContact]]
    _ContactInlineBase = admin.TabularInline[AbstractContact, models.Model]
else:
    _ContactInlineFormSetBase = forms.BaseInlineFormSet
    _ContactInlineBase = admin.TabularInline

__all__ = ["ContactInline", "ContactInlineFormSet"]


class ContactInlineFormSet(_ContactInlineFormSetBase):
    """Refuses to delete the primary contact while another contact stays.

    Rows the user may not change (customer-managed contacts) are shown disabled.
    """

    user: Any = None

    def _construct_form(self, i: int, **kwargs: Any) -> forms.ModelForm[AbstractContact]:
        # BaseFormSet's, missing from django-stubs.
        form: forms.ModelForm[AbstractContact] = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        if form.instance.pk is not None and not can_change_contact(self.user, form.instance):
            for field in form.fields.values():
                field.disabled = True
        return form

    def clean(self) -> None:
        super().clean()
        deleted = [form.instance for form in self.deleted_forms if form.instance.pk]
        if not any(contact.is_primary for contact in deleted):
            return
        staying = [
            form.instance
            for form in self.forms
            if form.instance.pk and form not in self.deleted_forms and form.instance.is_active
        ]
        if staying:
            raise ValidationError(
                _(
                    "The primary contact can't be deleted while the customer has other contacts. "
                    "Make another contact primary first."
                )
            )


class ContactInline(_ContactInlineBase):
    """Add this to your customer's ModelAdmin: its contacts, primary first."""

    model = get_contact_model()
    formset = ContactInlineFormSet
    template = "admin/customer_contacts/contact_inline_tabular.html"
    fields = ["title", "first_name", "last_name", "job_title", "is_primary", "is_active"]
    #: Set per request by get_formset(): (count, link) when the customer is due a review.
    unused_review: tuple[int, str] | None = None
    readonly_fields = ["is_primary"]
    show_change_link = True
    extra = 0

    def check(self, **kwargs: Any) -> list[Any]:
        # Django's inline checks follow the contact's customer relation; while it points
        # nowhere they would crash, and customer_contacts.E001 says what is wrong.
        if not customer_relation_resolved():
            return []
        return super().check(**kwargs)

    def get_queryset(self, request: HttpRequest) -> ContactQuerySet:
        # The contact model's default manager is a ContactManager.
        contacts = cast("ContactQuerySet", super().get_queryset(request))
        return contacts.regular().order_by("-is_primary", "last_name", "first_name")

    def get_formset(
        self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any
    ) -> type[_ContactInlineFormSetBase]:
        # Inline instances are made per request, so this is safe to keep on self.
        self.unused_review = self._unused_review(obj)
        formset = super().get_formset(request, obj, **kwargs)
        return cast("type[_ContactInlineFormSetBase]", type(formset.__name__, (formset,), {"user": request.user}))

    def _unused_review(self, customer: models.Model | None) -> tuple[int, str] | None:
        if customer is None or customer.pk is None:
            return None
        count = unused_review_due(customer)
        if not count:
            return None
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return count, f"{url}?{urlencode({'customer__pk__exact': customer.pk, 'unused': 'yes'})}"
