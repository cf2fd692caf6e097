"""Admin of the example CRM, with the customer's contacts inline.

* ``CustomerAdmin`` adds the app's ``ContactInline`` (the customer's contacts, primary first).
* Notes attach to customers, cases and contacts through a generic foreign key, so
  they are edited inline with ``GenericTabularInline`` on all three.
* The app registers the contact admin named by its ``CONTACT_ADMIN_CLASS`` option;
  the CRM's settings name ``CrmContactAdmin``, a subclass that adds the notes inline.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import Count, Prefetch, Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from django_customer_contacts import get_contact_model
from django_customer_contacts.admin import ContactAdmin, ContactInline

from .models import Case, Customer, Invoice, Note

# The admin's "View site" link leads to the CRM's own customer pages.
admin.site.site_url = reverse_lazy("crm:customer_list")
admin.site.site_header = _("Example CRM administration")


class NoteInline(GenericTabularInline):
    model = Note
    fields = ["text", "author", "created"]
    readonly_fields = ["author"]
    extra = 0


def save_notes_with_author(request: Any, formset: Any) -> None:
    """Save an inline formset; new notes get the logged-in user as author."""
    if formset.model is not Note:
        formset.save()
        return
    for note in formset.save(commit=False):
        if note.author_id is None and note.pk is None:
            note.author = request.user
        note.save()
    for note in formset.deleted_objects:
        note.delete()


class NotesAdminMixin:
    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Note:
            save_notes_with_author(request, formset)
        else:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]


@admin.register(Customer)
class CustomerAdmin(NotesAdminMixin, admin.ModelAdmin):
    inlines = [ContactInline, NoteInline]
    list_display = ["name", "kind", "primary_contact", "active_contacts", "created"]
    list_filter = ["kind"]
    # Explicit: Meta.ordering is dropped once get_queryset() annotates a count.
    ordering = ["name", "pk"]
    # Also what the autocomplete widgets for "customer" search.
    search_fields = ["name"]
    date_hierarchy = "created"

    def get_queryset(self, request: Any) -> Any:
        primary = get_contact_model()._default_manager.filter(is_primary=True)
        return (
            super()
            .get_queryset(request)
            .annotate(active_contact_count=Count("contacts", filter=Q(contacts__is_active=True)))
            .prefetch_related(Prefetch("contacts", queryset=primary, to_attr="primary_contacts"))
        )

    @admin.display(description=_("primary contact"))
    def primary_contact(self, customer: Customer) -> Any:
        return customer.primary_contacts[0] if customer.primary_contacts else "—"

    @admin.display(description=_("active contacts"), ordering="active_contact_count")
    def active_contacts(self, customer: Customer) -> int:
        return customer.active_contact_count


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "billing_contact", "amount", "issued_on"]
    list_select_related = ["customer", "billing_contact"]
    search_fields = ["number", "customer__name"]
    date_hierarchy = "issued_on"
    autocomplete_fields = ["customer", "billing_contact"]


@admin.register(Case)
class CaseAdmin(NotesAdminMixin, admin.ModelAdmin):
    list_display = ["title", "customer", "status", "created"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["title", "customer__name"]
    autocomplete_fields = ["customer", "watchers"]
    inlines = [NoteInline]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "content_type", "object_id", "author", "created"]
    list_filter = ["content_type"]
    list_select_related = ["content_type", "author"]
    search_fields = ["text"]
    date_hierarchy = "created"
    readonly_fields = ["author"]

    def save_model(self, request: Any, obj: Note, form: Any, change: bool) -> None:
        if obj.author_id is None and not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


class CrmContactAdmin(NotesAdminMixin, ContactAdmin):
    """The app's contact admin, plus the notes kept on each contact."""

    inlines = [*ContactAdmin.inlines, NoteInline]
