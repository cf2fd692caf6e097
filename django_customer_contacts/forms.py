"""Forms shared by the admin and the customer pages.

``ContactForm`` edits a contact with its tags and notification categories;
``ContactPointFormSet`` is the base of the email and phone formsets; ``MergeForm``
is the merge page's choice of the contact to keep and, field by field, the value to
keep.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import get_contact_model, get_customer_model
from .checks import customer_relation_resolved
from .merging import mergeable_fields
from .models import ContactEmail, NotificationCategory, Tag
from .normalize import email_key, parse_phone
from .services import find_matches

if TYPE_CHECKING:
    from .merging import MergePlan
    from .models import AbstractContact

__all__ = [
    "ContactForm",
    "ContactPointFormSet",
    "MergeForm",
    "display_value",
    "keep_stored_values",
    "primary_move_refusal",
]


def keep_stored_values(contact: AbstractContact, stored: AbstractContact, edited: Iterable[str]) -> None:
    """Give ``contact`` the values ``stored`` (the row as read under its lock) has for every
    field a form doesn't edit (``edited``: the form's field names).

    A form writes the whole row: what it doesn't edit — whether the contact is primary,
    its one-time scope, when it was last contacted — would otherwise be written back as
    it was read before the lock, or as an old version had it.
    """
    names = set(edited)
    for field in type(contact)._meta.concrete_fields:
        if not (field.primary_key or field.generated or field.name in names):
            setattr(contact, field.attname, getattr(stored, field.attname))


def primary_move_refusal(contact: AbstractContact, customer_id: Any) -> str | None:
    """Why ``contact`` can't move to the customer ``customer_id``, or ``None`` when it can.

    A primary contact stays with its customer while another of that customer's contacts
    could take the role (active, not one-time): the message says to make one of them
    primary first. A contact that moves never takes the primary role with it: it arrives
    as a non-primary contact. Reads the contact as stored, not as ``contact`` holds it.
    """
    model = type(contact)
    stored = model._base_manager.filter(pk=contact.pk).values_list("customer_id", "is_primary").first()
    if stored is None or not stored[1] or stored[0] == customer_id:
        return None
    contacts = model._default_manager.all()
    if not contacts.for_customer(stored[0]).active().exclude(pk=contact.pk).exists():
        return None
    customer = get_customer_model()._default_manager.filter(pk=stored[0]).first()
    return str(
        _(
            "%(contact)s is the primary contact of %(customer)s, which has other contacts. Make one of "
            "them primary first (action “Set as primary contact”), then move %(contact)s."
        )
        % {"contact": contact, "customer": customer}
    )


# Django's form classes can't be subscripted at runtime, hence the type: ignores for
# their type arguments.
class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    """The contact form, with the tag and category relations that live on their own models."""

    notification_categories = forms.ModelMultipleChoiceField(
        label=_("notification categories"),
        queryset=NotificationCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(label=_("tags"), queryset=Tag.objects.all(), required=False)
    save_anyway = forms.BooleanField(
        label=_("Save anyway"),
        required=False,
        widget=forms.HiddenInput,  # a checkbox once there is something to confirm
        help_text=_("This contact looks like one that exists already: tick to save it all the same."),
    )

    #: The fields whose change makes the form look for duplicates again.
    MATCHED_FIELDS = ("customer", "first_name", "middle_name", "last_name", "birthday")
    #: Prefixes of the email and phone formsets posted with the form (the admin's inlines).
    EMAIL_PREFIX, PHONE_PREFIX = "emails", "phones"

    class Meta:
        # Bound only once the contact's customer relation resolves: a host that forgot
        # CUSTOMER_CONTACTS_CUSTOMER_MODEL must still import the admin (as manage.py check
        # does) to be told so by customer_contacts.E001, not by a traceback from here.
        model = get_contact_model() if customer_relation_resolved() else None
        # exclude, not fields: a host's own contact model shows its extra fields too.
        exclude = ["is_primary", "scope_content_type", "scope_object_id"]  # noqa: DJ006

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self._meta.model is None:
            raise ImproperlyConfigured(
                "The contact form needs CUSTOMER_CONTACTS_CUSTOMER_MODEL: run manage.py check (customer_contacts.E001)."
            )
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["notification_categories"].initial = self.instance.notification_categories.all()
            self.fields["tags"].initial = self.instance.tags.all()

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        customer = cleaned_data.get("customer")
        if self.instance.pk is not None and customer is not None:
            refusal = primary_move_refusal(self.instance, customer.pk)
            if refusal is None and customer.pk != self.instance.customer_id:
                refusal = ContactEmail.move_refusal(self.instance, customer.pk)
            if refusal is not None:
                self.add_error("customer", refusal)
        if not self.errors:
            self._warn_of_duplicates(cleaned_data)
        return cleaned_data

    def match_url(self, contact: AbstractContact) -> str | None:
        """Where the warning links a likely duplicate to (the admin: its change page)."""
        return None

    def _warn_of_duplicates(self, cleaned_data: dict[str, Any]) -> None:
        """Refuse to save a contact that looks like an existing contact of its customer,
        until ``save_anyway`` is ticked: nothing is saved twice without someone saying so.

        A new contact is checked; an existing one only when its customer, names or
        birthday change. The addresses and numbers typed in the email and phone formsets
        posted with the form count too.
        """
        if cleaned_data.get("save_anyway") or cleaned_data.get("customer") is None:
            return
        if self.instance.pk is not None and not set(self.changed_data) & set(self.MATCHED_FIELDS):
            return
        candidate = copy.copy(self.instance)
        for name in self.MATCHED_FIELDS:
            if name in cleaned_data:
                setattr(candidate, name, cleaned_data[name])
        typed = self._typed_points()
        if typed is not None:
            candidate._typed_points = typed  # read by find_matches()
        matches = find_matches(candidate, limit=3)
        if not matches:
            return
        items = []
        for contact, comparison in matches:
            link = self.match_url(contact)
            name = format_html('<a href="{}">{}</a>', link, contact) if link else format_html("{}", contact)
            items.append(
                format_html(
                    "{} ({}: {})", name, _("score %(score).2f") % {"score": comparison.score}, comparison.explain()
                )
            )
        self.fields["save_anyway"].widget = forms.CheckboxInput()
        self.add_error(
            None,
            ValidationError(
                format_html(
                    "{} {} {}",
                    _("This contact looks like an existing contact of the same customer:"),
                    mark_safe("; ".join(items)),  # each item built with format_html
                    _("Check it, or tick “Save anyway” to save it all the same."),
                ),
                code="likely_duplicate",
            ),
        )

    def _typed_points(self) -> tuple[list[str], list[tuple[str, str]]] | None:
        """The addresses and numbers typed in the formsets posted with the form, or
        ``None`` when none were (then the contact's saved ones count)."""
        data = self.data
        if f"{self.EMAIL_PREFIX}-TOTAL_FORMS" not in data and f"{self.PHONE_PREFIX}-TOTAL_FORMS" not in data:
            return None

        def rows(prefix: str, *names: str) -> list[tuple[str, ...]]:
            found = []
            for index in range(min(_count(data.get(f"{prefix}-TOTAL_FORMS")), 1000)):
                if data.get(f"{prefix}-{index}-DELETE"):
                    continue
                values = tuple(str(data.get(f"{prefix}-{index}-{name}") or "").strip() for name in names)
                if values[0]:
                    found.append(values)
            return found

        emails = [address for (address,) in rows(self.EMAIL_PREFIX, "email")]
        phones = []
        for number, kind in rows(self.PHONE_PREFIX, "number", "kind"):
            parsed = parse_phone(number)
            if parsed is not None and parsed.is_valid():
                phones.append((parsed.as_e164, kind))
        return emails, phones

    def save_relations(self) -> None:
        """Save the tags and categories (after the contact itself is saved)."""
        self.instance.notification_categories.set(self.cleaned_data["notification_categories"])
        self.instance.tags.set(self.cleaned_data["tags"])


class ContactPointFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]  # see ContactForm
    """Refuses the same address or number twice in one submission (addresses ignoring case)."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            # _should_delete_form(): BaseFormSet's, missing from django-stubs.
            if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            email = form.cleaned_data.get("email")
            value = email or form.cleaned_data.get("number")
            if not value:
                continue
            key = email_key(email) if email else str(value)
            if key in seen:
                raise ValidationError(_("%(value)s is entered twice.") % {"value": value})
            seen.add(key)


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def display_value(contact: models.Model, field: models.Field[Any, Any]) -> str:
    """``field`` of ``contact`` as a person reads it: choice labels, ``""`` for blanks."""
    value = getattr(contact, field.name)
    if field.choices:
        value = getattr(contact, f"get_{field.name}_display")()
    return "" if value in (None, "") else str(value)


class MergeForm(forms.Form):
    """Which of ``contacts`` to keep (``main``), the value to keep of each field that
    differs (``field_<name>``), and why (``reason``).

    Only fields whose values differ between the contacts are offered. A choice that
    names none of the contacts is ignored: the default applies (the primary contact,
    else the first one, as main; the merge rules for the fields).
    """

    main = forms.ChoiceField(label=_("Keep this contact"), required=False, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason (kept in the merge record and history)"), required=False, strip=False)

    def __init__(self, contacts: Sequence[AbstractContact], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contacts = list(contacts)
        self.by_pk = {str(contact.pk): contact for contact in self.contacts}
        choices = [(pk, str(contact)) for pk, contact in self.by_pk.items()]
        cast(forms.ChoiceField, self.fields["main"]).choices = choices
        self.differing = [
            f
            for f in mergeable_fields(get_contact_model())
            if len({display_value(contact, f) for contact in self.contacts}) > 1
        ]
        for model_field in self.differing:
            self.fields[f"field_{model_field.name}"] = forms.ChoiceField(
                label=model_field.verbose_name, choices=choices, required=False, widget=forms.RadioSelect
            )
        self.is_valid()  # cleans what was chosen; invalid choices fall back to the defaults

    def _chosen(self, name: str) -> AbstractContact | None:
        return self.by_pk.get(getattr(self, "cleaned_data", {}).get(name) or "")

    @property
    def main_contact(self) -> AbstractContact:
        """The contact to keep: the one chosen, else the primary contact, else the first."""
        default = next((contact for contact in self.contacts if contact.is_primary), self.contacts[0])
        return self._chosen("main") or default

    @property
    def duplicates(self) -> list[AbstractContact]:
        main = self.main_contact
        return [contact for contact in self.contacts if contact is not main]

    @property
    def field_sources(self) -> dict[str, AbstractContact]:
        """``merge_contacts``' ``field_sources``: the values chosen, by field name."""
        chosen = {f.name: self._chosen(f"field_{f.name}") for f in self.differing}
        return {name: contact for name, contact in chosen.items() if contact is not None}

    @property
    def reason_text(self) -> str:
        return str(getattr(self, "cleaned_data", {}).get("reason") or "")

    def rows(self, plan: MergePlan | None) -> list[dict[str, Any]]:
        """The comparison table: per differing field, each contact's value and which is chosen."""
        sources = self.field_sources
        main = self.main_contact
        rows = []
        for model_field in self.differing:
            chosen = plan.sources.get(model_field.name, main.pk) if plan else main.pk
            if model_field.name in sources:
                chosen = sources[model_field.name].pk
            rows.append(
                {
                    "name": model_field.name,
                    "label": model_field.verbose_name,
                    "cells": [
                        {"contact": c, "value": display_value(c, model_field), "chosen": c.pk == chosen}
                        for c in self.contacts
                    ],
                }
            )
        return rows
