"""Django admin for contacts: ``ContactAdmin`` and ``ContactInline`` for the host's customer admin."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import get_contact_model
from .accounts import enable_login
from .conf import app_settings
from .exceptions import ContactError, PrimaryContactError
from .export import csv_response
from .models import ContactEmail, ContactPhone, NotificationCategory, Tag
from .permissions import can_change_contact, can_delete_contact
from .services import set_primary_contact


class ContactForm(forms.ModelForm):
    """The contact form, with the tag and category relations that live on their own models."""

    notification_categories = forms.ModelMultipleChoiceField(
        label=_("notification categories"),
        queryset=NotificationCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(label=_("tags"), queryset=Tag.objects.all(), required=False)

    class Meta:
        model = get_contact_model()
        # exclude, not fields: a host's own contact model shows its extra fields too.
        exclude = ["is_primary", "scope_content_type", "scope_object_id"]  # noqa: DJ006

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["notification_categories"].initial = self.instance.notification_categories.all()
            self.fields["tags"].initial = self.instance.tags.all()

    def save_relations(self) -> None:
        self.instance.notification_categories.set(self.cleaned_data["notification_categories"])
        self.instance.tags.set(self.cleaned_data["tags"])


class ContactPointFormSet(forms.BaseInlineFormSet):
    """Refuses the same address twice in one submission, ignoring case."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            value = form.cleaned_data.get("email") or form.cleaned_data.get("number")
            if not value:
                continue
            key = str(value).strip().lower()
            if key in seen:
                raise ValidationError(_("%(value)s is entered twice.") % {"value": value})
            seen.add(key)


class ContactPointInlineMixin:
    """Emails and phones follow their contact: read-only where the contact is."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and can_change_contact(request.user, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and can_change_contact(request.user, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and can_change_contact(request.user, obj)


class ContactEmailInline(ContactPointInlineMixin, admin.TabularInline):
    model = ContactEmail
    formset = ContactPointFormSet
    fields = ["email", "kind", "is_primary"]
    extra = 1


class ContactPhoneInline(ContactPointInlineMixin, admin.TabularInline):
    model = ContactPhone
    formset = ContactPointFormSet
    fields = ["number", "kind", "is_primary"]
    extra = 1


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(modeladmin: admin.ModelAdmin, request: Any, queryset: Any) -> Any:
    """Django's delete action, showing why a primary contact can't be deleted.

    Named like Django's action, so it takes the site-wide one's place.
    """
    try:
        with transaction.atomic():
            return django_delete_selected(modeladmin, request, queryset)
    except PrimaryContactError as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None


class OneTimeFilter(admin.SimpleListFilter):
    title = _("one-time")
    parameter_name = "one_time"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.one_time()
        if self.value() == "no":
            return queryset.regular()
        return queryset


class UnusedFilter(admin.SimpleListFilter):
    title = _("unused")
    parameter_name = "unused"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Unused for %(days)d days") % {"days": app_settings.unused_after_days})]

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.unused() if self.value() == "yes" else queryset


def parse_phone_search(term: str) -> str | None:
    """The E.164 form of a search term that reads as a phone number, else ``None``.

    Staff type numbers as they were told them (``07911 123456``, ``+44 7911 123456``);
    numbers are stored in E.164, so the term is parsed with ``PHONENUMBER_DEFAULT_REGION``.
    """
    term = term.strip()
    if sum(char.isdigit() for char in term) < 5 or any(char.isalpha() for char in term):
        return None
    try:
        number = phonenumbers.parse(term, getattr(settings, "PHONENUMBER_DEFAULT_REGION", None))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _primary_point_value(model: type[models.Model], field: str) -> Subquery:
    primary = model._default_manager.filter(contact=OuterRef("pk"), is_primary=True)
    return Subquery(primary.values(field)[:1])


class ContactAdmin(SimpleHistoryAdmin):
    form = ContactForm
    inlines = [ContactEmailInline, ContactPhoneInline]
    list_display = [
        "__str__",
        "customer",
        "primary_email",
        "primary_phone",
        "is_primary",
        "managed_by",
        "is_active",
        "marketing_consent",
    ]
    list_filter = [
        "is_active",
        "is_primary",
        "managed_by",
        "marketing_consent",
        OneTimeFilter,
        UnusedFilter,
        "notification_categories",
        "tags",
    ]
    list_select_related = ["customer"]
    # The full count is one more query on every page of a large list.
    show_full_result_count = False
    search_fields = ["first_name", "last_name", "emails__email_normalized"]
    readonly_fields = ["is_primary", "created", "modified", "last_contacted_at"]
    raw_id_fields = ["user"]
    actions = [delete_selected, "set_primary", "merge_contacts", "export_consented_csv", "enable_login"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # Customer-managed contacts are read-only without change_customer_managed_contact.
        return can_change_contact(request.user, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return can_delete_contact(request.user, obj)

    def get_fields(self, request: Any, obj: Any = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only pages show the relations declared on Tag/NotificationCategory
            # through display methods: Django can't render a reverse relation itself.
            readable = {"tags": "tag_names", "notification_categories": "category_names"}
            fields = [readable.get(name, name) for name in fields]
        return fields

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Also read-only for forms built outside the change view (simple-history's
            # version pages), which would otherwise look for them on the model.
            readonly += ["tag_names", "category_names"]
        return readonly

    @admin.display(description=_("tags"))
    def tag_names(self, contact: Any) -> str:
        return ", ".join(tag.name for tag in contact.tags.all())

    @admin.display(description=_("notification categories"))
    def category_names(self, contact: Any) -> str:
        return ", ".join(category.name for category in contact.notification_categories.all())

    def get_queryset(self, request: Any) -> Any:
        # Primary email and phone come with the rows: no query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                primary_email_value=_primary_point_value(ContactEmail, "email"),
                primary_phone_value=_primary_point_value(ContactPhone, "number"),
            )
        )

    @admin.display(description=_("email"), ordering="primary_email_value")
    def primary_email(self, contact: Any) -> str:
        return contact.primary_email_value or ""

    @admin.display(description=_("phone"))
    def primary_phone(self, contact: Any) -> str:
        return contact.primary_phone_value or ""

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> tuple[Any, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = parse_phone_search(search_term)
        if number:
            results |= queryset.filter(phones__number=number)
            may_have_duplicates = True
        return results, may_have_duplicates

    def get_autocomplete_fields(self, request: Any) -> list[str]:
        # Only when the host's customer admin can answer autocomplete queries;
        # naming it in the class attribute would make a missing one a system-check error.
        customer_admin = self.admin_site._registry.get(self.model._meta.get_field("customer").related_model)
        return ["customer"] if customer_admin is not None and customer_admin.search_fields else []

    # -- extra pages and actions ------------------------------------------------------

    def get_urls(self) -> list[Any]:
        from .admin_merge import MergeView

        opts = self.model._meta
        merge = path(
            "merge/",
            self.admin_site.admin_view(MergeView(self)),
            name=f"{opts.app_label}_{opts.model_name}_merge",
        )
        return [merge, *super().get_urls()]

    def has_merge_contact_permission(self, request: Any) -> bool:
        return request.user.has_perm("customer_contacts.merge_contact")

    def has_export_contact_permission(self, request: Any) -> bool:
        return request.user.has_perm("customer_contacts.export_contact")

    @admin.action(
        description=_("Export the selected contacts that gave marketing consent (CSV)"), permissions=["export_contact"]
    )
    def export_consented_csv(self, request: Any, queryset: Any) -> Any:
        return csv_response(queryset, consented=True, filename="consented-contacts.csv")

    def has_enable_login_permission(self, request: Any) -> bool:
        user_opts = get_user_model()._meta
        return self.has_change_permission(request) and request.user.has_perm(
            f"{user_opts.app_label}.{get_permission_codename('add', user_opts)}"
        )

    @admin.action(description=_("Enable login for the selected contacts"), permissions=["enable_login"])
    def enable_login(self, request: Any, queryset: Any) -> None:
        enabled, refused = [], []
        for contact in queryset:
            try:
                enable_login(contact)
            except ContactError as exc:
                refused.append(f"{contact}: {exc}")
            else:
                enabled.append(str(contact))
        if enabled:
            self.message_user(
                request,
                _("Login enabled for %(contacts)s. They set a password through password reset.")
                % {"contacts": ", ".join(enabled)},
                messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description=_("Merge selected contacts"), permissions=["merge_contact"])
    def merge_contacts(self, request: Any, queryset: Any) -> Any:
        opts = self.model._meta
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_merge")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ids})}")

    def has_set_primary_contact_permission(self, request: Any) -> bool:
        return request.user.has_perm("customer_contacts.set_primary_contact")

    @admin.action(description=_("Set as primary contact"), permissions=["set_primary_contact"])
    def set_primary(self, request: Any, queryset: Any) -> None:
        contacts = list(queryset[:2])
        if len(contacts) != 1:
            self.message_user(request, _("Select exactly one contact to make primary."), messages.ERROR)
            return
        # Both the new primary and the one it replaces change.
        current = self.model._default_manager.filter(customer_id=contacts[0].customer_id, is_primary=True).first()
        locked = [c for c in (contacts[0], current) if c is not None and not can_change_contact(request.user, c)]
        if locked:
            self.message_user(
                request,
                _("%(contact)s is managed by the customer: you can't change which contact is primary.")
                % {"contact": locked[0]},
                messages.ERROR,
            )
            return
        try:
            set_primary_contact(contacts[0], user=request.user)
        except PrimaryContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request, _("%(contact)s is now the primary contact.") % {"contact": contacts[0]}, messages.SUCCESS
        )

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.save_relations()

    def delete_view(self, request: Any, object_id: str, extra_context: Any = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except PrimaryContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            opts = self.model._meta
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return HttpResponseRedirect(url)


class ContactInlineFormSet(forms.BaseInlineFormSet):
    """Refuses to delete the primary contact while another contact stays.

    Rows the user may not change (customer-managed contacts) are shown disabled.
    """

    user: Any = None

    def _construct_form(self, i: int, **kwargs: Any) -> Any:
        form = super()._construct_form(i, **kwargs)
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


class ContactInline(admin.TabularInline):
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

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).regular().order_by("-is_primary", "last_name", "first_name")

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        # Inline instances are made per request, so this is safe to keep on self.
        self.unused_review = self._unused_review(obj)
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"user": request.user})

    def _unused_review(self, customer: Any) -> tuple[int, str] | None:
        if customer is None or customer.pk is None:
            return None
        count = self.model._default_manager.for_customer(customer).unused().count()
        if count < app_settings.unused_review_threshold:
            return None
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return count, f"{url}?{urlencode({'customer__pk__exact': customer.pk, 'unused': 'yes'})}"


admin.site.register(get_contact_model(), ContactAdmin)
