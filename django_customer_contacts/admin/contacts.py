"""``ContactAdmin``: the contact changelist, change form, actions and the merge page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import is_historic
from simple_history.utils import get_history_model_for_model

from ..conf import app_settings
from ..exceptions import ContactError, PrimaryContactError
from ..export import csv_response
from ..forms import CONTACT_SECTIONS, ContactForm, ContactPointFormSet, keep_stored_values, primary_move_refusal
from ..locking import db_for_write, lock_contacts, lock_customer
from ..models import ContactEmail, ContactPhone, MergeRecord
from ..normalize import display_phone
from ..permissions import can_change_contact, can_delete_contact, change_refusal
from ..querysets import first_point
from ..receivers import primary_deletion_refusal
from ..services import enable_login, set_primary_contact
from .bulk import BulkChangeActions
from .duplicates import DuplicatesView
from .filters import ActiveFilter, ContactChangeList, MembershipFilter, OneTimeFilter, UnusedFilter
from .gdpr import GDPRAdminMixin
from .history import ContactHistoryHelper, point_history
from .merge import MergeView
from .pagination import ContactChangeListPaginator

if TYPE_CHECKING:
    from django.contrib.admin.options import InlineModelAdmin
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.template.response import TemplateResponse
    from django_stubs_ext import WithAnnotations

    from ..models import AbstractContact
    from ..querysets import ContactQuerySet

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

#: Django's label of a row's action checkbox: translated by Django's catalogue (a name,
#: not a literal, so that it isn't extracted into this app's).
DJANGO_CHECKBOX_LABEL = "Select this object for an action - {}"


class ContactPointInlineMixin(_InlineMixinBase):
    """Emails and phones follow their contact: read-only where the contact is."""

    #: Shown right after the contact page's first section (the contact's template).
    contact_points = True

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

    Named like Django's action, so it takes the site-wide one's place. A primary contact
    that can't go is refused before the confirmation page.
    """
    if not request.POST.get("post"):
        for contact in queryset.filter(is_primary=True):
            refusal = primary_deletion_refusal(contact, queryset.values("pk"))
            if refusal is not None:
                modeladmin.message_user(request, refusal, messages.ERROR)
                return None
    try:
        with transaction.atomic():
            return django_delete_selected(modeladmin, request, queryset)
    except PrimaryContactError as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None


class ContactAdmin(GDPRAdminMixin, SimpleHistoryAdmin, BulkChangeActions):
    form = ContactForm
    # Django's change form, with a link to the merges into the contact.
    change_form_template = "admin/customer_contacts/contact_change_form.html"
    # The changelist links to "Possible duplicates"; long values wrap so that the columns
    # fit a 1366 px screen.
    change_list_template = "admin/customer_contacts/contact_change_list.html"
    inlines = [ContactEmailInline, ContactPhoneInline]
    list_display = ["__str__", "customer", "primary_email", "primary_phone", "status"]
    list_filter = [
        ActiveFilter,
        "is_primary",
        "managed_by",
        "marketing_consent",
        OneTimeFilter,
        UnusedFilter,
        ("notification_categories", MembershipFilter),
        ("tags", MembershipFilter),
    ]
    list_select_related = ["customer"]
    # The full count is one more query on every page of a large list.
    show_full_result_count = False
    search_fields = ["first_name", "last_name", "emails__email_normalized"]
    readonly_fields = ["is_primary", "created", "modified", "last_contacted_at"]
    raw_id_fields = ["user"]
    actions = [
        delete_selected,
        "set_primary",
        "merge_contacts",
        "export_consented_csv",
        "enable_login",
        "erase_personal_data",
        "add_tag",
        "remove_tag",
        "opt_in_category",
        "opt_out_category",
        "set_preferences",
    ]

    def has_change_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        # Customer-managed contacts are read-only without change_customer_managed_contact.
        # A version (simple-history's version pages) is judged as the contact is now;
        # the version of a contact that is gone can't be changed.
        stored = self.stored_contact(obj)
        return (obj is None or stored is not None) and can_change_contact(request.user, stored)

    def has_delete_permission(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        stored = self.stored_contact(obj)
        return (obj is None or stored is not None) and can_delete_contact(request.user, stored)

    def stored_contact(self, obj: AbstractContact | None) -> AbstractContact | None:
        """``obj``, or for a history version the contact as it is stored now (``None`` if gone)."""
        if obj is None or not is_historic(obj):
            return obj
        if not hasattr(obj, "_stored_contact"):
            obj._stored_contact = self.model._default_manager.filter(pk=obj.pk).first()  # type: ignore[attr-defined]
        stored: AbstractContact | None = obj._stored_contact  # type: ignore[attr-defined]
        return stored

    # -- history versions -----------------------------------------------------------------

    # The versions as a person reads them, and the emails' and phones' history below them.
    object_history_list_template = "admin/customer_contacts/contact_history_list.html"

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return ContactHistoryHelper(self.model, historical_record)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise Http404 from None
        context["point_history"] = point_history(pk)
        return cast(HttpResponse, super().history_view(request, object_id, context))  # untyped base

    def revert_disabled(self, request: HttpRequest, obj: AbstractContact | None = None) -> bool:
        """Whether the version pages offer no Revert: ``SIMPLE_HISTORY_REVERT_DISABLED``,
        history model permissions when enforced, and always what a change of the
        contact as it is now needs. A deleted or merged contact can't be reverted."""
        stored = self.stored_contact(obj)
        if obj is not None and stored is None:
            return True
        return bool(super().revert_disabled(request, stored)) or not self.has_change_permission(request, stored)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """A version of the contact; POSTed, a revert: a change of the contact prefilled
        with the version's values.

        A revert needs what a change of the contact needs (see :meth:`revert_disabled`),
        keeps what the version page doesn't edit (whether the contact is primary, its
        one-time scope, when it was last contacted) as it is now, and never brings back a
        contact that was deleted or merged away.
        """
        history_model = get_history_model_for_model(self.model)
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
            version = history_model._default_manager.filter(
                **{self.model._meta.pk.attname: pk, "history_id": version_id}
            ).first()
        except (ValidationError, ValueError, TypeError, OverflowError):
            version = None
        if version is None:
            raise Http404
        if request.method == "POST":
            stored = self.get_queryset(request).filter(pk=pk).first()
            if stored is None and self.model._default_manager.filter(pk=pk).exists():
                raise PermissionDenied
            if stored is None:
                self.message_user(request, self._gone_message(request, version), messages.ERROR)
                return HttpResponseRedirect(self._url("history", quote(pk)))
            if self.revert_disabled(request, stored):
                raise PermissionDenied
        elif not self.model._default_manager.filter(pk=pk).exists():
            # No Revert button: the page says why, and what can bring the contact back.
            self.message_user(request, self._gone_message(request, version), messages.INFO)
        try:
            # simple-history saves the contact and its log entry without a transaction.
            with transaction.atomic(using=router.db_for_write(self.model)):
                return cast(HttpResponse, super().history_form_view(request, object_id, version_id, extra_context))
        except ContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _gone_message(self, request: HttpRequest, version: Any) -> str:
        pk = getattr(version, self.model._meta.pk.attname)
        name = str(version.instance)
        # Merge records keep a snapshot per merged contact, keyed by its pk; an undone
        # merge gave the contact back, so it was deleted afterwards.
        record = (
            MergeRecord._default_manager.filter(snapshots__has_key=str(pk), undone_at__isnull=True)
            .order_by("-pk")
            .first()
        )
        if record is None:
            return gettext("%(contact)s was deleted: a deleted contact can't be restored from its history.") % {
                "contact": name
            }
        message = gettext(
            "%(contact)s was merged into %(main)s (merge #%(record)s): "
            "a merged contact can't be restored from its history."
        ) % {
            "contact": name,
            "main": record.contact if record.contact is not None else gettext("a contact since deleted"),
            "record": record.pk,
        }
        url = self._merge_record_url(request, record.pk)
        if url is None:
            return message
        return format_html(
            '{} <a href="{}">{}</a>',
            message,
            url,
            gettext("Undo merge #%(record)s to bring it back, with everything it had.") % {"record": record.pk},
        )

    def _merge_record_url(self, request: HttpRequest, record_pk: Any, name: str = "undo") -> str | None:
        """The merge record's page (``undo``: its Undo merge page, for staff who may undo)."""
        record_admin = self.admin_site._registry.get(MergeRecord)
        if record_admin is None or not record_admin.has_view_permission(request):
            return None
        if name == "undo" and not request.user.has_perm("customer_contacts.unmerge_contact"):
            name = "change"
        opts = MergeRecord._meta
        try:
            return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=[record_pk])
        except NoReverseMatch:
            return None

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self.changeform_view(
            request, object_id, form_url, {**self._merges_link(request, object_id), **(extra_context or {})}
        )

    def _merges_link(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        """The link to the merges into the contact, when there are any and the user may see them."""
        record_admin = self.admin_site._registry.get(MergeRecord)
        if record_admin is None or not record_admin.has_view_permission(request):
            return {}
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
            count = MergeRecord._default_manager.filter(contact_id=pk).count()
        except (ValidationError, ValueError, TypeError, OverflowError):
            return {}
        if not count:
            return {}
        opts = MergeRecord._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return {"merge_records_url": f"{url}?{urlencode({'contact__id__exact': pk})}", "merge_records_count": count}

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: AbstractContact | None = None,
    ) -> HttpResponse:
        # A read-only page says why: the customer manages the contact, or the user may only view.
        if obj is not None and not self.has_change_permission(request, obj):
            context["read_only_reason"] = change_refusal(request.user, self.stored_contact(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args)

    # -- saving -----------------------------------------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)  # untyped base
        except ContactError as exc:
            # A refusal found only under the locks (save_model): nothing was saved.
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return cast(HttpResponse, response)

    def save_model(self, request: HttpRequest, obj: AbstractContact, form: Any, change: bool) -> None:
        """Save the contact; a change under the customer's and the contact's locks.

        A change writes what the form edits; everything else (whether the contact is
        primary, its one-time scope, when it was last contacted) is re-read from the
        locked row, so a change or a revert never changes which contact is primary. A
        contact moved to another customer leaves the primary role behind; a primary
        contact may move only when no other contact of its customer could take the role
        (:func:`~django_customer_contacts.forms.primary_move_refusal`).
        """
        if change:
            self._refresh_unedited_fields(obj, form)
        super().save_model(request, obj, form, change)

    def _refresh_unedited_fields(self, obj: AbstractContact, form: Any) -> None:
        using = db_for_write(obj)
        stored_customer = self.model._base_manager.using(using).filter(pk=obj.pk).values_list("customer_id", flat=True)
        customer_id = stored_customer.first()
        if customer_id is None:
            raise ContactError(gettext("%(contact)s was deleted meanwhile: nothing was saved.") % {"contact": obj})
        try:
            # The locking order: customer rows (both, when the contact moves), then the contact.
            for locked_customer in sorted({customer_id, obj.customer_id}):
                lock_customer(locked_customer, using)
        except ObjectDoesNotExist:
            raise ContactError(gettext("The customer was deleted meanwhile: nothing was saved.")) from None
        fresh = lock_contacts([obj.pk], using).get(obj.pk)
        if fresh is None:
            raise ContactError(gettext("%(contact)s was deleted meanwhile: nothing was saved.") % {"contact": obj})
        if fresh.customer_id != customer_id:
            raise ContactError(
                gettext("%(contact)s was moved meanwhile: nothing was saved. Check it and try again.")
                % {"contact": fresh}
            )
        keep_stored_values(obj, fresh, form.fields)
        if obj.customer_id != fresh.customer_id and fresh.is_primary:
            refusal = primary_move_refusal(fresh, obj.customer_id)
            if refusal is not None:
                raise PrimaryContactError(refusal)
            obj.is_primary = False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(form, ContactForm):
            return form
        url = self._url

        class AdminContactForm(form):  # type: ignore[misc,valid-type]  # a class made per request
            def match_url(self, contact: AbstractContact) -> str | None:
                return url("change", contact.pk)

        AdminContactForm.__name__ = form.__name__
        return AdminContactForm

    def get_fieldsets(self, request: HttpRequest, obj: AbstractContact | None = None) -> list[Any]:
        """The sections of :data:`~django_customer_contacts.forms.CONTACT_SECTIONS` (the
        email and phone inlines follow the first); a host's own fields in a section of
        their own. ``fieldsets`` set on a subclass win."""
        if self.fieldsets:
            return list(super().get_fieldsets(request, obj))
        shown = self.get_fields(request, obj)
        sections: list[Any] = []
        for title, names in CONTACT_SECTIONS:
            fields = [name for name in names if name in shown]
            if fields:
                sections.append((title, {"fields": fields}))
        placed = {name for _title, names in CONTACT_SECTIONS for name in names}
        extra = [name for name in shown if name not in placed]
        if extra:
            sections.insert(1, (_("Details"), {"fields": extra}))
        return sections

    def get_fields(self, request: HttpRequest, obj: AbstractContact | None = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        if obj is None:
            # Nothing to show before the contact exists.
            fields = [name for name in fields if name not in ("is_primary", "created", "modified", "last_contacted_at")]
        if not app_settings.sms_enabled:
            fields = [name for name in fields if name != "sms_allowed"]
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only pages show the relations declared on Tag/NotificationCategory
            # through display methods: Django can't render a reverse relation itself.
            readable = {"tags": "tag_names", "notification_categories": "category_names"}
            fields = [readable.get(name, name) for name in fields if name != "save_anyway"]
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

    def action_checkbox(self, obj: AbstractContact) -> str:
        """Django's checkbox, written directly: rendering a widget template per row was
        the biggest part of a 100-row page (see the performance page of the docs)."""
        label = format_html(gettext(DJANGO_CHECKBOX_LABEL), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    @admin.display(description=_("email"), ordering="primary_email_value")
    def primary_email(self, contact: WithAnnotations[AbstractContact, _PrimaryPoints]) -> str:
        return contact.primary_email_value or ""

    @admin.display(description=_("phone"))
    def primary_phone(self, contact: WithAnnotations[AbstractContact, _PrimaryPoints]) -> str:
        return display_phone(contact.primary_phone_value)

    @admin.display(description=_("status"))
    def status(self, contact: AbstractContact) -> str:
        """What sets the contact apart, in short words: one column instead of five."""
        labels = [
            (contact.is_primary, _("primary")),
            (not contact.is_active, _("inactive")),
            (contact.is_one_time, _("one-time")),
            (contact.managed_by == self.model.ManagedBy.CUSTOMER, _("customer-managed")),
            (contact.marketing_consent, _("marketing consent")),
        ]
        return ", ".join(str(label) for applies, label in labels if applies)

    #: The search's rule: ``True`` the prefix rule (``ContactQuerySet.search_keys()``),
    #: ``False`` ``ContactQuerySet.search()``'s; ``None``, the default: the prefix rule
    #: on MariaDB and MySQL, where only it is answered by an index (see the performance
    #: page of the docs).
    prefix_search: bool | None = None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AbstractContact], search_term: str
    ) -> tuple[QuerySet[AbstractContact], bool]:
        """Contacts by name, email address or phone number (:attr:`prefix_search` says
        which rule), as one lookup of matching keys: no join, so no DISTINCT (see the
        performance page of the docs). ``search_fields`` only shows the search box."""
        contacts = cast("ContactQuerySet", queryset)
        return contacts.search_everywhere(search_term, prefix=self.prefix_search), False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ContactChangeList]:
        # The membership filters need no DISTINCT: see admin/filters.py.
        return ContactChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[AbstractContact],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> ContactChangeListPaginator:
        # Bounded counts, annotations for the page only, no DISTINCT: see admin/pagination.py.
        return ContactChangeListPaginator(
            queryset, per_page, orphans, allow_empty_first_page, root=self.get_queryset(request)
        )

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
        duplicates = path(
            "duplicates/",
            self.admin_site.admin_view(DuplicatesView(self)),
            name=f"{opts.app_label}_{opts.model_name}_duplicates",
        )
        return [merge, duplicates, *self.gdpr_urls(), *super().get_urls()]

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
            # The action's own permission is about contacts in general: each contact
            # selected is checked as a change of that contact.
            refusal = change_refusal(request.user, contact)
            if refusal is not None:
                refused.append(refusal)
                continue
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
        refusals = [change_refusal(request.user, c) for c in (contacts[0], current) if c is not None]
        reasons = list(dict.fromkeys(r for r in refusals if r is not None))
        if reasons:
            self.message_user(
                request,
                gettext("%(contact)s was not made the primary contact. %(reasons)s")
                % {"contact": contacts[0], "reasons": " ".join(reasons)},
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
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        # The primary contact's deletion is refused before the confirmation page, saying what to do.
        contact = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        refusal = primary_deletion_refusal(contact) if contact is not None else None
        if refusal is not None and self.has_delete_permission(request, contact):
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(url)
        try:
            return cast(HttpResponse, super().delete_view(request, object_id, extra_context))  # untyped base
        except PrimaryContactError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(url)
