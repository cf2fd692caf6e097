"""Admin of the example CRM, with the customer's contacts inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from django_customer_contacts import get_contact_model
from django_customer_contacts.admin import ContactInline

from .models import Case, Customer, Invoice


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    inlines = [ContactInline]
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
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "status", "created"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["title", "customer__name"]
    autocomplete_fields = ["customer", "watchers"]
