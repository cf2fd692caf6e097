from django.contrib import admin

from django_customer_contacts.admin import ContactInline

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    inlines = [ContactInline]
    search_fields = ["name"]
