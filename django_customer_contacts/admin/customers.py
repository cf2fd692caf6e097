"""``ContactInline``: a customer's contacts on the host's own customer admin page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .. import get_contact_model
from ..checks import customer_relation_resolved
from ..forms import keep_stored_values
from ..locking import lock_contacts, lock_customer
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

#: The order of a big customer's contacts on its page: the primary contact, the most
#: recently contacted, then the most recently changed.
SHOWN_FIRST = ("-is_primary", F("last_contacted_at").desc(nulls_last=True), "-modified", "pk")


class ContactInlineFormSet(_ContactInlineFormSetBase):
    """A customer's contacts; deleting the primary contact only when no other stays.

    The primary contact may be deleted when no other contact that could take over — active
    and regular — stays after the submission: contacts deleted or made inactive by it
    don't count, contacts it adds and contacts not on the page (added meanwhile) do. The
    rows are checked as stored, under the customer's lock, then the contacts' (in the
    admin's transaction), and saved in an order that keeps the rule at every step:
    changes first, then deletions, the primary contact last.

    Rows the user may not change (customer-managed contacts) are shown disabled.
    """

    user: Any = None

    def _construct_form(self, i: int, **kwargs: Any) -> forms.ModelForm[AbstractContact]:
        # BaseFormSet's, missing from django-stubs.
        form: forms.ModelForm[AbstractContact] = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        if form.instance.pk is not None and not can_change_contact(self.user, form.instance):
            # Not the row's key and customer: browsers don't post disabled inputs, and the
            # row must still find its contact.
            keys = {self.model._meta.pk.name, self.fk.name}  # type: ignore[union-attr]  # a model has a pk
            for name, field in form.fields.items():
                if name not in keys:
                    field.disabled = True
        return form

    def clean(self) -> None:
        super().clean()
        self.stored = self._read_stored()
        primary = next((contact for contact in self.stored.values() if contact.is_primary), None)
        deleted = {form.instance.pk for form in self.deleted_forms if form.instance.pk is not None}
        rows = {form.instance.pk: form for form in self.initial_forms if form.instance.pk is not None}
        if primary is None:
            return
        if primary.pk not in deleted:
            # The rows may have been read before this contact became primary (else the
            # row's own validation says it).
            row = rows.get(primary.pk)
            if row is not None and not row.errors and not self._stays_active(row, True):
                raise ValidationError(
                    _("%(contact)s is the primary contact: it must stay active. Make another contact primary first.")
                    % {"contact": primary}
                )
            return
        staying = [
            contact
            for pk, contact in self.stored.items()
            if pk not in deleted and not contact.is_one_time and self._stays_active(rows.get(pk), contact.is_active)
        ]
        added = [
            form
            for form in self.extra_forms
            if form.has_changed()
            and not self._should_delete_form(form)  # type: ignore[attr-defined]  # BaseFormSet's
            and self._stays_active(form, True)
        ]
        if staying or added:
            raise ValidationError(
                _(
                    "The primary contact can't be deleted while the customer has other contacts. "
                    "Make another contact primary first."
                )
            )

    @staticmethod
    def _stays_active(form: forms.ModelForm[AbstractContact] | None, stored: bool) -> bool:
        """Whether the contact is active after the submission: as posted, else as stored."""
        if form is None or "is_active" not in form.fields:
            return stored
        return bool(getattr(form, "cleaned_data", {}).get("is_active", stored))

    def _read_stored(self) -> dict[Any, AbstractContact]:
        """The customer's contacts as stored, by pk; locked when in a transaction (the admin's)."""
        customer = self.instance
        if customer.pk is None:
            return {}
        model = get_contact_model()
        using = router.db_for_write(model)
        contacts = model._base_manager.using(using).filter(customer_id=customer.pk)
        if not transaction.get_connection(using).in_atomic_block:
            return {contact.pk: contact for contact in contacts}
        lock_customer(customer.pk, using)
        return lock_contacts(contacts.values_list("pk", flat=True), using)

    def _stored_rows(self) -> dict[Any, AbstractContact]:
        """What ``clean()`` read: the customer's contacts as stored, by pk."""
        return cast("dict[Any, AbstractContact]", getattr(self, "stored", {}))

    @staticmethod
    def _was_primary(contact: AbstractContact, stored: dict[Any, AbstractContact]) -> bool:
        fresh = stored.get(contact.pk)
        return (fresh if fresh is not None else contact).is_primary

    def save_existing(
        self, form: forms.ModelForm[AbstractContact], obj: AbstractContact, commit: bool = True
    ) -> AbstractContact:
        stored = self._stored_rows().get(obj.pk)
        if stored is not None:
            keep_stored_values(obj, stored, form.fields)
        return super().save_existing(form, obj, commit)

    def delete_existing(self, obj: AbstractContact, commit: bool = True) -> None:
        if commit:
            self._deletions.append(obj)

    def save_existing_objects(self, commit: bool = True) -> list[AbstractContact]:
        self._deletions: list[AbstractContact] = []
        saved = super().save_existing_objects(commit)
        stored = self._stored_rows()
        # The primary contact last: the contacts that could have taken over are gone or
        # inactive by then.
        for contact in sorted(self._deletions, key=lambda c: self._was_primary(c, stored)):
            contact.delete()
        return saved


class ContactInline(_ContactInlineBase):
    """Add this to your customer's ModelAdmin: its contacts, primary first."""

    model = get_contact_model()
    formset = ContactInlineFormSet
    template = "admin/customer_contacts/contact_inline_tabular.html"
    fields = ["title", "first_name", "last_name", "job_title", "primary", "is_active"]
    #: Set per request by get_formset(): (count, link) when the customer is due a review.
    unused_review: tuple[int, str] | None = None
    #: The most contacts the inline shows. A customer with more gets the primary contact,
    #: then the most recently contacted, then the most recently changed, and a link to
    #: the changelist of all its contacts (see :attr:`more_contacts`).
    max_contacts_shown = 20
    #: Set per request by get_formset(): (shown, total, link) when the customer has more
    #: contacts than the inline shows.
    more_contacts: tuple[int, int, str] | None = None
    #: Set per request by get_formset(): the keys of the contacts shown, or ``None`` for all.
    shown_contacts: list[Any] | None = None
    readonly_fields = ["primary"]
    # Inputs narrower than the admin's 20em: a row, with Primary, Active and Delete, fits a
    # 1366 px screen beside the admin's navigation.
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 14})}}
    show_change_link = True
    extra = 0

    def check(self, **kwargs: Any) -> list[Any]:
        # Django's inline checks follow the contact's customer relation; while it points
        # nowhere they would crash, and customer_contacts.E001 says what is wrong.
        if not customer_relation_resolved():
            return []
        return super().check(**kwargs)

    @admin.display(description=_("primary"), boolean=True)
    def primary(self, contact: AbstractContact) -> bool:
        return contact.is_primary

    def get_queryset(self, request: HttpRequest) -> ContactQuerySet:
        # The contact model's default manager is a ContactManager.
        contacts = cast("ContactQuerySet", super().get_queryset(request)).regular()
        if self.shown_contacts is not None:
            return contacts.filter(pk__in=self.shown_contacts).order_by(*SHOWN_FIRST)
        return contacts.order_by("-is_primary", "last_name", "first_name")

    def get_formset(
        self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any
    ) -> type[_ContactInlineFormSetBase]:
        # Inline instances are made per request, so this is safe to keep on self.
        self.unused_review = self._unused_review(obj)
        self.shown_contacts, self.more_contacts = self._bounded(request, obj)
        formset = super().get_formset(request, obj, **kwargs)
        return cast("type[_ContactInlineFormSetBase]", type(formset.__name__, (formset,), {"user": request.user}))

    def _bounded(
        self, request: HttpRequest, customer: models.Model | None
    ) -> tuple[list[Any] | None, tuple[int, int, str] | None]:
        """The contacts to show when the customer has more than :attr:`max_contacts_shown`.

        ``(None, None)`` when all fit: one query reads at most one more key than fit.
        A submitted page keeps the rows it showed (contacts used meanwhile could
        otherwise push a submitted row out of the selection).
        """
        if customer is None or customer.pk is None:
            return None, None
        contacts = self.model._default_manager.all().for_customer(customer)
        keys = list(contacts.order_by(*SHOWN_FIRST).values_list("pk", flat=True)[: self.max_contacts_shown + 1])
        if len(keys) <= self.max_contacts_shown:
            return None, None
        if request.method == "POST":
            prefix = f"{self.model._meta.get_field('customer').remote_field.get_accessor_name()}-"
            posted = [value for name, value in request.POST.items() if name.startswith(prefix) and name.endswith("-id")]
            keys = [value for value in posted if value]
        else:
            keys = keys[: self.max_contacts_shown]
        total = contacts.count()
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return keys, (len(keys), total, f"{url}?{urlencode({'customer__pk__exact': customer.pk})}")

    def _unused_review(self, customer: models.Model | None) -> tuple[int, str] | None:
        if customer is None or customer.pk is None:
            return None
        count = unused_review_due(customer)
        if not count:
            return None
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return count, f"{url}?{urlencode({'customer__pk__exact': customer.pk, 'unused': 'yes'})}"
