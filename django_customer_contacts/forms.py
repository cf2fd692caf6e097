"""Forms shared by the admin and the customer pages.

``ContactForm`` edits a contact with its tags and notification categories;
``ContactPointFormSet`` is the base of the email and phone formsets; ``MergeForm``
is the merge page's choice of the contact to keep and, field by field, the value to
keep.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from . import get_contact_model, get_customer_model
from .checks import customer_relation_resolved
from .conf import app_settings
from .locking import db_for_write
from .merging import contact_relations, mergeable_fields
from .models import ContactEmail, NotificationCategory, Tag
from .normalize import display_phone, email_key, parse_phone
from .services import find_matches, merge_contacts
from .validators import timezone_names, validate_language

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from .merging import MergePlan, Relation
    from .models import AbstractContact, ContactPoint, MergeRecord

__all__ = [
    "CONTACT_SECTIONS",
    "ContactForm",
    "ContactPointFormSet",
    "MergeForm",
    "display_field_value",
    "display_value",
    "keep_stored_values",
    "merge_page_contacts",
    "primary_move_refusal",
    "relation_nouns",
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


#: The contact form's sections, in the order people fill a contact in: the names, then
#: (between the first section and the others) the email addresses and phone numbers, then
#: these. The admin's contact page and the customer pages both show them; each leaves out
#: the fields it doesn't show, and puts fields of a host's own contact model that no
#: section names in a section of their own.
CONTACT_SECTIONS: list[tuple[Any, list[str]]] = [
    (
        _("Name"),
        ["customer", "title", "first_name", "middle_name", "last_name", "job_title", "birthday", "save_anyway"],
    ),
    (
        _("Preferences and consent"),
        [
            "preferred_channel",
            "email_allowed",
            "sms_allowed",
            "phone_allowed",
            "automated_followups",
            "language",
            "timezone",
            "marketing_consent",
            "marketing_consent_source",
            "marketing_consent_at",
        ],
    ),
    (_("Notifications"), ["receive_all_notifications", "notification_categories", "category_names"]),
    (
        _("Account"),
        ["is_active", "managed_by", "one_time", "user", "is_primary", "last_contacted_at", "created", "modified"],
    ),
    (_("Notes"), ["tags", "tag_names", "notes"]),
]


# Django's form classes can't be subscripted at runtime, hence the type: ignores for
# their type arguments.
class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    """The contact form, with the tag and category relations that live on their own models."""

    notification_categories = forms.ModelMultipleChoiceField(
        label=capfirst(_("notification categories")),
        queryset=NotificationCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(label=capfirst(_("tags")), queryset=Tag.objects.all(), required=False)
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
        if not app_settings.sms_enabled:
            self._leave_out_sms()
        self._offer_choices("language", [(code, _(name)) for code, name in settings.LANGUAGES])
        self._offer_choices("timezone", [(name, name) for name in timezone_names()])

    def _offer_choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        """``name``, a free text field of the model, as a select of ``choices`` (a value
        stored before it left them stays offered, so an edit doesn't lose it)."""
        field = self.fields.get(name)
        if field is None:
            return
        current = getattr(self.instance, name, "")
        if current and current not in {value for value, _label in choices}:
            choices = [(current, current), *choices]
        self.fields[name] = forms.ChoiceField(
            label=field.label,
            help_text="" if name == "timezone" else field.help_text,
            choices=[("", "---------"), *choices],
            required=field.required,
            disabled=field.disabled,
        )

    def _leave_out_sms(self) -> None:
        """Without ``SMS_ENABLED`` the SMS preference and channel are not offered
        (a contact that prefers SMS already keeps the choice it has)."""
        self.fields.pop("sms_allowed", None)
        channel = self.fields.get("preferred_channel")
        sms = get_contact_model().Channel.SMS
        if isinstance(channel, forms.ChoiceField) and self.instance.preferred_channel != sms:
            choices: list[tuple[Any, Any]] = list(cast("Iterable[tuple[Any, Any]]", channel.choices))
            channel.choices = [choice for choice in choices if choice[0] != sms]

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
    """Refuses the same address or number twice in one submission (addresses ignoring case).

    Without ``EMAIL_EDITABLE`` the address of a saved email is shown but can't be edited:
    remove it and add the new one.
    """

    def add_fields(self, form: forms.ModelForm[Any], index: int | None) -> None:
        super().add_fields(form, index)
        instance = getattr(form, "instance", None)
        field = form.fields.get("email")
        if field is not None and instance is not None and instance.pk is not None and not app_settings.email_editable:
            field.disabled = True
            field.help_text = _("Email addresses can't be changed: remove this one and add the new one.")

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
    """``field`` of ``contact`` as a person reads it: see :func:`display_field_value`."""
    return display_field_value(field, getattr(contact, field.name))


def display_field_value(field: models.Field[Any, Any], value: Any) -> str:
    """``value`` of ``field`` as a person reads it: choice labels ("Mr"), language names
    ("English"), "Yes"/"No", dates and times in the active language and time zone, phone
    numbers as :func:`~django_customer_contacts.normalize.display_phone` shows them, ``""``
    for blanks."""
    if value is None or value == "":
        return ""
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    elif validate_language in field.validators:
        name = dict(settings.LANGUAGES).get(value)
        value = gettext(str(name)) if name is not None else value
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, PhoneNumber):
        return display_phone(value)
    return str(value)


def merge_page_contacts(contacts: models.QuerySet[AbstractContact]) -> models.QuerySet[AbstractContact]:
    """``contacts`` as :class:`MergeForm` reads them, in the same number of queries however
    many: by pk, with the rows their foreign keys name, their emails and phones."""
    related = [f.name for f in mergeable_fields(contacts.model) if f.many_to_one or f.one_to_one]
    # The plugin checks lookups against AbstractContact, which declares its points for type checkers only.
    return contacts.order_by("pk").select_related(*related).prefetch_related("emails", "phones")  # type: ignore[misc]


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
        self._add_point_fields()
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

    # -- emails and phones, the preview, the merge ---------------------------------------------
    #
    # Emails and phones are what make contacts duplicates: they are shown side by side, and
    # when the contacts hold more than one address (or number) between them, which one is
    # the kept contact's primary one is chosen here (``primary_email``, ``primary_phone``).
    # The contacts' ``emails`` and ``phones`` are read once each: prefetch them.

    #: The contact points, by kind: the relation, and the field that holds the value.
    POINTS = {"email": ("emails", "email"), "phone": ("phones", "number")}

    def _add_point_fields(self) -> None:
        self.point_labels: dict[str, dict[str, str]] = {}
        labels = {"email": _("Primary email address"), "phone": _("Primary phone number")}
        for kind, (relation, _column) in self.POINTS.items():
            choices: dict[str, str] = {}
            for contact in self.contacts:
                for point in getattr(contact, relation).all():
                    choices.setdefault(_point_key(kind, point), _point_label(kind, point))
            self.point_labels[kind] = choices
            if len(choices) > 1:
                self.fields[f"primary_{kind}"] = forms.ChoiceField(
                    label=labels[kind], choices=list(choices.items()), required=False, widget=forms.RadioSelect
                )

    def chosen_point(self, kind: str) -> str | None:
        """The key of the email (``kind="email"``) or phone the kept contact ends up with as
        its primary one: the one chosen, else its own primary one, else the first
        duplicate's (as the merge decides)."""
        chosen = getattr(self, "cleaned_data", {}).get(f"primary_{kind}")
        if chosen in self.point_labels.get(kind, {}):
            return str(chosen)
        relation = self.POINTS[kind][0]
        for contact in [self.main_contact, *self.duplicates]:
            points = sorted(getattr(contact, relation).all(), key=lambda point: (not point.is_primary, point.pk))
            if points:
                return _point_key(kind, points[0])
        return None

    def point_rows(self) -> list[dict[str, Any]]:
        """The emails and phones of each contact, for the comparison table."""
        rows = []
        for kind, label in (("email", _("Email addresses")), ("phone", _("Phone numbers"))):
            relation = self.POINTS[kind][0]
            chosen = self.chosen_point(kind)
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "field": self[f"primary_{kind}"] if f"primary_{kind}" in self.fields else None,
                    "cells": [
                        {
                            "contact": contact,
                            "points": [
                                {
                                    "key": _point_key(kind, point),
                                    "label": _point_label(kind, point),
                                    "kind": point.get_kind_display(),
                                    "chosen": _point_key(kind, point) == chosen,
                                }
                                for point in sorted(
                                    getattr(contact, relation).all(), key=lambda p: (not p.is_primary, p.pk)
                                )
                            ],
                        }
                        for contact in self.contacts
                    ],
                }
            )
        return rows

    def preview(self, plan: MergePlan | None) -> list[str]:
        """What the merge will do, in sentences: "3 invoices move to Jane Smith." ``plan``
        is ``plan_merge()``'s for the current choices."""
        if plan is None:
            return []
        main = self.main_contact
        relations = contact_relations()
        lines = []
        for row in self.rows(plan):
            cell = next(cell for cell in row["cells"] if cell["chosen"])
            if cell["contact"] is not main:
                lines.append(
                    gettext("%(field)s becomes “%(value)s” (from %(contact)s).")
                    % {"field": str(row["label"]).capitalize(), "value": cell["value"], "contact": cell["contact"]}
                )
        if plan.becomes_primary:
            lines.append(gettext("%(main)s becomes the primary contact.") % {"main": main})
        for relation_plan in plan.relations:
            moved, dropped = relation_plan.moved_count, relation_plan.dropped_count
            if moved:
                noun = relation_nouns(relation_plan.relation, relations)[0 if moved == 1 else 1]
                lines.append(
                    ngettext(
                        "%(count)d %(things)s moves to %(main)s.",
                        "%(count)d %(things)s move to %(main)s.",
                        moved,
                    )
                    % {"count": moved, "things": noun, "main": main}
                )
            if dropped:
                noun = relation_nouns(relation_plan.relation, relations)[0 if dropped == 1 else 1]
                lines.append(
                    ngettext(
                        "%(count)d %(things)s is left out: %(main)s already has the same.",
                        "%(count)d %(things)s are left out: %(main)s already has the same.",
                        dropped,
                    )
                    % {"count": dropped, "things": noun, "main": main}
                )
        for kind, sentence in (
            ("email", gettext("The primary email address is %(value)s.")),
            ("phone", gettext("The primary phone number is %(value)s.")),
        ):
            chosen = self.chosen_point(kind)
            if chosen is not None and len(self.point_labels.get(kind, {})) > 1:
                lines.append(sentence % {"value": self.point_labels[kind][chosen]})
        lines.append(
            ngettext(
                "%(contacts)s is deleted; its history is kept.",
                "%(contacts)s are deleted; their history is kept.",
                len(self.duplicates),
            )
            % {"contacts": ", ".join(str(contact) for contact in self.duplicates)}
        )
        return lines

    def merge(self, *, user: AbstractBaseUser | AnonymousUser | None = None) -> MergeRecord:
        """Merge as chosen, in one transaction: ``merge_contacts()`` with the chosen main
        contact, values and reason, then the chosen email and phone become the kept
        contact's primary ones. A refusal (``MergeError``) changes nothing.

        Takes the locks ``merge_contacts()`` takes; the primary email and phone are
        changed under them.
        """
        main = self.main_contact
        with transaction.atomic(using=db_for_write(main)):
            record = merge_contacts(
                main, self.duplicates, field_sources=self.field_sources, user=user, reason=self.reason_text
            )
            for kind, (relation, column) in self.POINTS.items():
                chosen = getattr(self, "cleaned_data", {}).get(f"primary_{kind}")
                if not chosen or chosen not in self.point_labels.get(kind, {}):
                    continue
                value_column = "email_normalized" if kind == "email" else column
                point: ContactPoint | None = getattr(main, relation).filter(**{value_column: chosen}).first()
                if point is not None and not point.is_primary:
                    point.is_primary = True
                    point.save(update_fields=["is_primary"])
        return record


def _point_key(kind: str, point: Any) -> str:
    """How an email (its ``email_key``) or phone (E.164) is told apart from another."""
    return email_key(point.email) if kind == "email" else str(point.number)


def _point_label(kind: str, point: Any) -> str:
    if kind == "email":
        return str(point.email)
    return display_phone(point.number)


def relation_nouns(relation: Relation, relations: Sequence[Relation] | None = None) -> tuple[str, str]:
    """What a person calls the rows of ``relation``, singular and plural: "invoice",
    "invoices"; "meeting", "meetings" for a many-to-many (the other side's name); with
    the field's name when a model points at contacts more than once ("invoices (billing
    contact)"). ``relations``: ``contact_relations()``, if you have them."""
    opts = relation.model._meta
    if opts.auto_created and relation.other_field is not None and relation.other_field.related_model is not None:
        # Django's own through table: name the other side.
        other = relation.other_field.related_model._meta
        return str(other.verbose_name), str(other.verbose_name_plural)
    singular, plural = str(opts.verbose_name), str(opts.verbose_name_plural)
    if relations is None:
        relations = contact_relations()
    if sum(1 for other in relations if other.model is relation.model) > 1:
        field_name = getattr(relation.field, "verbose_name", relation.name)
        if relation.is_generic:
            field_name = relation.name.replace("_", " ")
        return f"{singular} ({field_name})", f"{plural} ({field_name})"
    return singular, plural
