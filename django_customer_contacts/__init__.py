"""Contacts for the customers of a Django CRM."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db import models

    from .models import AbstractContact

__all__ = ["get_contact_model"]


def get_contact_model() -> type[AbstractContact]:
    """Return the active contact model (``CUSTOMER_CONTACTS_CONTACT_MODEL``).

    Code outside the app's models and migrations reaches contacts through this,
    the way it reaches users through ``get_user_model()``.
    """
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    from .conf import app_settings

    label = app_settings.contact_model
    try:
        return apps.get_model(label, require_ready=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"CUSTOMER_CONTACTS_CONTACT_MODEL must be of the form 'app_label.ModelName', not {label!r}."
        ) from exc
    except LookupError as exc:
        raise ImproperlyConfigured(
            f"CUSTOMER_CONTACTS_CONTACT_MODEL refers to model {label!r}, which is not installed."
        ) from exc


def get_customer_model() -> type[models.Model]:
    """Return the host's customer model (``CUSTOMER_CONTACTS_CUSTOMER_MODEL``)."""
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    from .conf import app_settings

    label = app_settings.customer_model
    if not label:
        raise ImproperlyConfigured("CUSTOMER_CONTACTS_CUSTOMER_MODEL is not set.")
    try:
        return apps.get_model(label, require_ready=False)
    except (ValueError, LookupError) as exc:
        raise ImproperlyConfigured(
            f"CUSTOMER_CONTACTS_CUSTOMER_MODEL refers to {label!r}, which is not an installed model."
        ) from exc
