"""``ContactAdmin``: the contact changelist, change form, actions and the merge page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_permission_codename, get_user_model
from django.db import transaction
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..exceptions import ContactError, PrimaryContactError
from ..export import csv_response
from ..forms import ContactForm, ContactPointFormSet
from ..models import ContactEmail, ContactPhone
from ..normalize import phone_search_key
from ..permissions import can_change_contact, can_delete_contact
from ..querysets import first_point
from ..services import enable_login, set_primary_contact
from .filters import OneTimeFilter, UnusedFilter
from .merge import MergeView

if TYPE_CHECKING:
    from django.contrib.admin.options import InlineModelAdmin
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.template.response import TemplateResponse
    from django_stubs_ext import WithAnnotations

    from ..models import AbstractContact

    # Django's admin classes can't be subscripted at runtime: generic for type checkers only.
    _InlineMixinBase = InlineModelAdmin[Any, AbstractContact]
    _EmailInlineBase = admin.TabularInline[ContactEmail, AbstractContact]
    _PhoneInlineBase = admin.TabularInline[ContactPhone, AbstractContact]

    class _PrimaryPoints(TypedDict):
        """The annotations ``ContactAdmin.get_queryset()`` adds."""

        primary_email_value: str | None
        primary_phone_value: str | None

else:
    _InlineMixinBase = object
    _EmailInlineBase = _PhoneInlineBase = admin.TabularInline

__all__ = ["ContactAdmin", "ContactEmailInline", "ContactPhoneInline", "delete_selected"]


class ContactPointInlineMixin(_InlineMixinBase):
    """Emails and phones follow their contact: read-only where the contact is."""

    def has_add_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        return super().has_add_permission(request, obj) and can_change_contact(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        return super().has_change_permission(request, obj) and can_change_contact(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        return super().has_delete_permission(request, obj) and can_change_contact(request.user, obj)


class ContactEmailInline(ContactPointInlineMixin, _EmailInlineBase):
    model = ContactEmail
    formset = ContactPointFormSet
    fields = ["email", "kind", "is_primary"]
    extra = 1


class ContactPhoneInline(ContactPointInlineMixin, _PhoneInlineBase):
    model = ContactPhone
    formset = ContactPointFormSet
    fields = ["number", "kind", "is_primary"]
    extra = 1


# short_description: set on Django's action by @action, unknown to django-stubs.
@admin.action(permissions=["delete"], description=django_delete_selected.short_description)  # type: ignore[attr-defined]
def delete_selected(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[AbstractContact]
) -> TemplateResponse | None:
    """Django's delete action, showing why a primary contact can't be deleted.

    Named like Django's action, so it takes the site-wide one's place.
    """
    try:
        with transaction.atomic():
            return django_delete_selected(modeladmin, request, queryset)
    except PrimaryContactError as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None


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

    def has_change_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        # Customer-managed contacts are read-only without change_customer_managed_contact.
        return can_change_contact(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        return can_delete_contact(request.user, obj)

    def get_fields(self, request: HttpRequest, obj: AbstractContact | None = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only pages show the relations declared on Tag/NotificationCategory
            # through display methods: Django can't render a reverse relation itself.
            readable = {"tags": "tag_names", "notification_categories": "category_names"}
            fields = [readable.get(name, name) for name in fields]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: AbstractContact | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Also read-only for forms built outside the change view (simple-history's
            # version pages), which would otherwise look for them on the model.
            readonly += ["tag_names", "category_names"]
        return readonly

    @admin.display(description=_("tags"))
    def tag_names(self, contact: AbstractContact) -> str:
        return ", ".join(tag.name for tag in contact.tags.all())

    @admin.display(description=_("notification categories"))
    def category_names(self, contact: AbstractContact) -> str:
        return ", ".join(category.name for category in contact.notification_categories.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[AbstractContact]:
        # Primary email and phone come with the rows: no query per row.
        contacts: QuerySet[AbstractContact] = super().get_queryset(request)  # SimpleHistoryAdmin: untyped
        return contacts.annotate(
            primary_email_value=first_point(ContactEmail._default_manager.filter(contact=OuterRef("pk")), "email"),
            primary_phone_value=first_point(ContactPhone._default_manager.filter(contact=OuterRef("pk")), "number"),
        )

    @admin.display(description=_("email"), ordering="primary_email_value")
    def primary_email(self, contact: WithAnnotations[AbstractContact, _PrimaryPoints]) -> str:
        return contact.primary_email_value or ""

    @admin.display(description=_("phone"))
    def primary_phone(self, contact: WithAnnotations[AbstractContact, _PrimaryPoints]) -> str:
        return contact.primary_phone_value or ""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AbstractContact], search_term: str
    ) -> tuple[QuerySet[AbstractContact], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = phone_search_key(search_term)
        if number:
            # The plugin checks lookups against AbstractContact, which has no ``phones`` field.
            results |= queryset.filter(phones__number=number)  # type: ignore[misc]
            may_have_duplicates = True
        return results, may_have_duplicates

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        # Only when the host's customer admin can answer autocomplete queries;
        # naming it in the class attribute would make a missing one a system-check error.
        customer_admin = self.admin_site._registry.get(self.model._meta.get_field("customer").related_model)
        return ["customer"] if customer_admin is not None and customer_admin.search_fields else []

    # -- extra pages and actions ------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        merge = path(
            "merge/",
            self.admin_site.admin_view(MergeView(self)),
            name=f"{opts.app_label}_{opts.model_name}_merge",
        )
        return [merge, *super().get_urls()]

    def has_merge_contact_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customer_contacts.merge_contact")

    def has_export_contact_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customer_contacts.export_contact")

    @admin.action(
        description=_("Export the selected contacts that gave marketing consent (CSV)"), permissions=["export_contact"]
    )
    def export_consented_csv(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> StreamingHttpResponse:
        return csv_response(queryset, consented=True, filename="consented-contacts.csv")

    def has_enable_login_permission(self, request: HttpRequest) -> bool:
        user_opts = get_user_model()._meta
        return self.has_change_permission(request) and request.user.has_perm(
            f"{user_opts.app_label}.{get_permission_codename('add', user_opts)}"
        )

    @admin.action(description=_("Enable login for the selected contacts"), permissions=["enable_login"])
    def enable_login(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> None:
        enabled: list[str] = []
        refused: list[str] = []
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
    def merge_contacts(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> HttpResponseRedirect:
        opts = self.model._meta
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_merge")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ids})}")

    def has_set_primary_contact_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("customer_contacts.set_primary_contact")

    @admin.action(description=_("Set as primary contact"), permissions=["set_primary_contact"])
    def set_primary(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> None:
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
            # The admin's user is logged in: never an AnonymousUser.
            set_primary_contact(contacts[0], user=cast("AbstractBaseUser", request.user))
        except PrimaryContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request, _("%(contact)s is now the primary contact.") % {"contact": contacts[0]}, messages.SUCCESS
        )

    def save_related(self, request: HttpRequest, form: ContactForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.save_relations()

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return cast(HttpResponse, super().delete_view(request, object_id, extra_context))  # untyped base
        except PrimaryContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            opts = self.model._meta
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return HttpResponseRedirect(url)
