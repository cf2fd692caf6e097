import contextlib
from types import ModuleType
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import post_delete, post_init, post_save, pre_delete
from django.utils.translation import gettext_lazy as _

from .conf import DEFAULT_CONTACT_MODEL


class CustomerContactsConfig(AppConfig):
    name = "django_customer_contacts"
    label = "customer_contacts"
    verbose_name = _("Customer contacts")
    # Fixed here: Django 6.0 changed the project default, and our migrations must
    # not drift with the host's DEFAULT_AUTO_FIELD.
    default_auto_field = "django.db.models.BigAutoField"

    def __init__(self, app_name: str, app_module: ModuleType | None) -> None:
        super().__init__(app_name, app_module)
        # Like AUTH_USER_MODEL, the setting exists even when the host leaves it out:
        # host models and the migrations Django writes for them name
        # ``settings.CUSTOMER_CONTACTS_CONTACT_MODEL``. App configs are created before
        # any models module is imported, so this is early enough for both.
        if not hasattr(settings, "CUSTOMER_CONTACTS_CONTACT_MODEL"):
            settings.CUSTOMER_CONTACTS_CONTACT_MODEL = DEFAULT_CONTACT_MODEL

    def ready(self) -> None:
        from . import (
            checks,  # registers the system checks
            get_contact_model,
            get_customer_model,
        )
        from .receivers import lock_customer_being_deleted, protect_primary_contact

        try:
            contact_model = get_contact_model()
        except Exception:  # reported by customer_contacts.E002
            return
        pre_delete.connect(
            protect_primary_contact,
            sender=contact_model,
            dispatch_uid="customer_contacts.protect_primary_contact",
        )
        self._connect_duplicate_store(contact_model)
        with contextlib.suppress(Exception):  # no customer model: reported by customer_contacts.E001
            pre_delete.connect(
                lock_customer_being_deleted,
                sender=get_customer_model(),
                dispatch_uid="customer_contacts.lock_customer_being_deleted",
            )
        # The one place the contact admin is registered (CONTACT_ADMIN_CLASS), and the merge
        # records', tags' and notification categories'.
        if apps.is_installed("django.contrib.admin") and not checks.check_customer_model():
            from .admin import register_contact_admin, register_label_admins, register_merge_record_admin

            with contextlib.suppress(ImportError):  # reported by customer_contacts.E009
                register_contact_admin()
            register_merge_record_admin()
            register_label_admins()

    def _connect_duplicate_store(self, contact_model: type[Any]) -> None:
        """What changes a customer's duplicates says so (see ``duplicate_store``)."""
        from . import duplicate_store
        from .models import ContactEmail, ContactPhone, DuplicateDismissal

        uid = "customer_contacts.duplicate_store"
        post_init.connect(duplicate_store.remember_customer, sender=contact_model, dispatch_uid=f"{uid}.init")
        for signal in (post_save, post_delete):
            signal.connect(duplicate_store.contact_saved, sender=contact_model, dispatch_uid=f"{uid}.contact")
            for point in (ContactEmail, ContactPhone):
                signal.connect(duplicate_store.point_saved, sender=point, dispatch_uid=f"{uid}.{point.__name__}")
            signal.connect(duplicate_store.dismissal_saved, sender=DuplicateDismissal, dispatch_uid=f"{uid}.dismissal")
