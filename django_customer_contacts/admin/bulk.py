"""The contact changelist's bulk changes: tags, notification categories, preferences.

Each action shows a page to choose the tag, the category or the values, then changes
the selected contacts the user may change through :mod:`django_customer_contacts.bulk`
(history included) and says in a message how many changed and which were refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import get_contact_model, services
from ..bulk import PREFERENCE_FIELDS
from ..conf import app_settings
from ..models import NotificationCategory, Tag
from ..permissions import change_refusal, changeable_contacts

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..models import AbstractContact

__all__ = ["BulkChangeActions", "CategoryForm", "ChoiceForm", "PreferencesForm", "TagForm"]

#: A bulk change: ``operation(contacts, choice, user=user)`` returns how many changed.
Operation = Callable[..., int]


class ChoiceForm(forms.Form):
    """The page's form; ``choice()`` is what the operation is given once it is valid."""

    def choice(self) -> Any:
        raise NotImplementedError


class TagForm(ChoiceForm):
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all())

    def choice(self) -> Tag:
        tag: Tag = self.cleaned_data["tag"]
        return tag


class CategoryForm(ChoiceForm):
    category = forms.ModelChoiceField(label=_("Notification category"), queryset=NotificationCategory.objects.all())

    def choice(self) -> NotificationCategory:
        category: NotificationCategory = self.cleaned_data["category"]
        return category


class PreferencesForm(ChoiceForm):
    """Each preference: leave it as each contact has it, or set it for all of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = get_contact_model()
        keep: list[tuple[str, StrOrPromise]] = [("", _("Leave as it is"))]
        for name in PREFERENCE_FIELDS:
            if name == "preferred_channel" or (name == "sms_allowed" and not app_settings.sms_enabled):
                continue
            self.fields[name] = forms.TypedChoiceField(
                label=_field_label(model, name),
                choices=[*keep, ("yes", _("Yes")), ("no", _("No"))],
                coerce=lambda value: value == "yes",
                empty_value=None,
                required=False,
            )
        channels = [
            choice for choice in model.Channel.choices if app_settings.sms_enabled or choice[0] != model.Channel.SMS
        ]
        self.fields["preferred_channel"] = forms.ChoiceField(
            label=_field_label(model, "preferred_channel"),
            choices=[*keep, *channels],
            required=False,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.values():
            raise ValidationError(_("Choose at least one preference to set."))
        return cleaned

    def values(self) -> dict[str, Any]:
        """The preferences chosen, by field name."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value not in (None, "")}

    def choice(self) -> dict[str, Any]:
        return self.values()


#: The success messages, by the number of contacts changed ("count").
TAG_ADDED = ngettext_lazy(
    "Tag “%(tag)s” added to %(count)d contact.", "Tag “%(tag)s” added to %(count)d contacts.", "count"
)
TAG_REMOVED = ngettext_lazy(
    "Tag “%(tag)s” removed from %(count)d contact.", "Tag “%(tag)s” removed from %(count)d contacts.", "count"
)
OPTED_IN = ngettext_lazy(
    "%(count)d contact opted in to “%(category)s”.", "%(count)d contacts opted in to “%(category)s”.", "count"
)
OPTED_OUT = ngettext_lazy(
    "%(count)d contact opted out of “%(category)s”.", "%(count)d contacts opted out of “%(category)s”.", "count"
)
PREFERENCES_SET = ngettext_lazy(
    "Communication preferences changed for %(count)d contact.",
    "Communication preferences changed for %(count)d contacts.",
    "count",
)


def _field_label(model: type[AbstractContact], name: str) -> str:
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    return str(field.verbose_name).capitalize()


class BulkChangeActions:
    """The bulk actions of ``ContactAdmin``; each needs the change permission, and each
    selected contact is checked as a change of that contact.

    A mixin for a ``ModelAdmin`` of the contact model, placed after it in the bases.
    """

    bulk_change_template = "admin/customer_contacts/contact_bulk_change.html"
    #: How many of the selected contacts the page names.
    bulk_change_names_shown = 100

    if TYPE_CHECKING:  # what the ModelAdmin it is mixed into provides
        model: type[AbstractContact]
        admin_site: admin.AdminSite
        media: forms.Media

        def message_user(self, request: HttpRequest, message: StrOrPromise, level: int = ...) -> None: ...
        def get_actions(self, request: HttpRequest) -> dict[str, Any]: ...

    @admin.action(description=_("Add a tag to the selected contacts"), permissions=["change"])
    def add_tag(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> TemplateResponse | None:
        return self._bulk_change(request, queryset, TagForm, services.add_tag, TAG_ADDED)

    @admin.action(description=_("Remove a tag from the selected contacts"), permissions=["change"])
    def remove_tag(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> TemplateResponse | None:
        return self._bulk_change(request, queryset, TagForm, services.remove_tag, TAG_REMOVED)

    @admin.action(description=_("Opt the selected contacts in to a notification category"), permissions=["change"])
    def opt_in_category(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> TemplateResponse | None:
        return self._bulk_change(request, queryset, CategoryForm, services.opt_in_category, OPTED_IN)

    @admin.action(description=_("Opt the selected contacts out of a notification category"), permissions=["change"])
    def opt_out_category(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> TemplateResponse | None:
        return self._bulk_change(request, queryset, CategoryForm, services.opt_out_category, OPTED_OUT)

    @admin.action(description=_("Set communication preferences of the selected contacts"), permissions=["change"])
    def set_preferences(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> TemplateResponse | None:
        return self._bulk_change(request, queryset, PreferencesForm, services.set_preferences, PREFERENCES_SET)

    def _bulk_change(
        self,
        request: HttpRequest,
        queryset: QuerySet[AbstractContact],
        form_class: type[ChoiceForm],
        operation: Operation,
        success: StrOrPromise,
    ) -> TemplateResponse | None:
        """The action's page (GET-like: the changelist's POST), or, with ``apply`` posted
        and the form valid, the change and its messages (``None``: back to the list)."""
        contacts = list(queryset.order_by("pk"))
        refusals = list(dict.fromkeys(r for r in (change_refusal(request.user, c) for c in contacts) if r))
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            choice = form.choice()
            try:
                count = operation(changeable_contacts(request.user, queryset), choice, user=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return None
            self.message_user(request, success % {"count": count, "tag": choice, "category": choice}, messages.SUCCESS)
            if refusals:
                self.message_user(
                    request, gettext("Not changed: %(reasons)s") % {"reasons": " ".join(refusals)}, messages.WARNING
                )
            return None
        action = request.POST.get("action", "")
        found = self.get_actions(request).get(action)
        # Django 6.1 gives an Action with a description; earlier versions a (func, name, description) tuple.
        title = "" if found is None else getattr(found, "description", None) or found[2]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "contacts": contacts,
            # Every contact's key is posted back; the first names are enough to read.
            "shown": contacts[: self.bulk_change_names_shown],
            "not_shown": max(0, len(contacts) - self.bulk_change_names_shown),
            "select_across": request.POST.get("select_across", "0"),
            "refusals": refusals,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.bulk_change_template, context)
