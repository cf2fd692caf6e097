"""Who may change or delete a contact: one rule for the admin and for host views.

A contact the customer manages itself (``managed_by="customer"``) is read-only for
staff: changing or deleting it needs, on top of the model's ``change``/``delete``
permission, ``customer_contacts.change_customer_managed_contact``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import get_contact_model
from .conf import app_settings

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import AbstractContact

_C = TypeVar("_C", bound="AbstractContact")

#: The permission that lets staff change and delete customer-managed contacts.
CHANGE_CUSTOMER_MANAGED = "customer_contacts.change_customer_managed_contact"
#: The permission GDPR erasure (``anonymize_contact``) needs in the admin.
ERASE_CONTACT = "customer_contacts.erase_contact"
#: The permission exports need: the CSV and, with the view permission, the subject-access export.
EXPORT_CONTACT = "customer_contacts.export_contact"


class PermissionHolder(Protocol):
    """Who these rules ask: a ``User``, an ``AnonymousUser``, any user model with ``has_perm()``."""

    def has_perm(self, perm: str, /) -> bool: ...


def _model_permission(action: str) -> str:
    opts = get_contact_model()._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def is_customer_managed(contact: AbstractContact | None) -> bool:
    return contact is not None and contact.managed_by == get_contact_model().ManagedBy.CUSTOMER


def can_view_contact(user: PermissionHolder, contact: AbstractContact | None = None) -> bool:
    """Whether ``user`` may see contacts (``view`` or ``change`` permission on the contact model)."""
    return user.has_perm(_model_permission("view")) or user.has_perm(_model_permission("change"))


def can_change_contact(user: PermissionHolder, contact: AbstractContact | None = None) -> bool:
    """Whether ``user`` may change ``contact`` (or, with no contact, contacts in general).

    Needs the contact model's ``change`` permission, and for a customer-managed
    contact also ``customer_contacts.change_customer_managed_contact``.
    """
    return change_refusal(user, contact) is None


def can_delete_contact(user: PermissionHolder, contact: AbstractContact | None = None) -> bool:
    """Whether ``user`` may delete ``contact``: as :func:`can_change_contact`, with ``delete``."""
    return delete_refusal(user, contact) is None


def change_refusal(user: PermissionHolder, contact: AbstractContact | None = None) -> str | None:
    """Why ``user`` may not change ``contact``, as a message for them; ``None`` when they may.

    The message names the real reason: the missing model permission, or the contact
    being customer-managed.
    """
    return _refusal(user, contact, "change")


def delete_refusal(user: PermissionHolder, contact: AbstractContact | None = None) -> str | None:
    """Why ``user`` may not delete ``contact``, as :func:`change_refusal` says it."""
    return _refusal(user, contact, "delete")


def _refusal(user: PermissionHolder, contact: AbstractContact | None, action: str) -> str | None:
    if not user.has_perm(_model_permission(action)):
        if action == "delete":
            return _("You don't have permission to delete contacts.")
        return _("You don't have permission to change contacts.")
    if is_customer_managed(contact) and not user.has_perm(CHANGE_CUSTOMER_MANAGED):
        if action == "delete":
            return _("%(contact)s is managed by the customer: you can view it but not delete it.") % {
                "contact": contact
            }
        return _("%(contact)s is managed by the customer: you can view it but not change it.") % {"contact": contact}
    return None


def erase_refusal(user: PermissionHolder, contact: AbstractContact | None = None) -> str | None:
    """Why ``user`` may not erase ``contact``'s personal data (GDPR), as a message; ``None`` when they may.

    Needs ``customer_contacts.erase_contact`` — not the model's ``change`` permission: the
    person who handles erasure requests needn't edit contacts — and for a
    customer-managed contact also ``customer_contacts.change_customer_managed_contact``.
    """
    if not user.has_perm(ERASE_CONTACT):
        return _("You don't have permission to erase contacts' personal data.")
    if is_customer_managed(contact) and not user.has_perm(CHANGE_CUSTOMER_MANAGED):
        return _("%(contact)s is managed by the customer: you can view it but not erase it.") % {"contact": contact}
    return None


def can_export_subject_data(user: PermissionHolder) -> bool:
    """Whether ``user`` may download everything the app holds about a person: seeing contacts
    (:func:`can_view_contact`) and ``customer_contacts.export_contact``."""
    return can_view_contact(user) and user.has_perm(EXPORT_CONTACT)


def changeable_contacts(user: PermissionHolder, contacts: QuerySet[_C]) -> QuerySet[_C]:
    """``contacts`` narrowed to those ``user`` may change: :func:`change_refusal`'s rule
    as a query, for operations on many contacts (read again under their locks)."""
    if not user.has_perm(_model_permission("change")):
        return contacts.none()
    if user.has_perm(CHANGE_CUSTOMER_MANAGED):
        return contacts
    return contacts.exclude(managed_by=get_contact_model().ManagedBy.CUSTOMER)


def check_can_change_contact(user: PermissionHolder, contact: AbstractContact) -> None:
    """Raise ``PermissionDenied`` (a 403 in a view) unless ``user`` may change ``contact``."""
    refusal = change_refusal(user, contact)
    if refusal is not None:
        raise PermissionDenied(refusal)


def check_can_delete_contact(user: PermissionHolder, contact: AbstractContact) -> None:
    """Raise ``PermissionDenied`` (a 403 in a view) unless ``user`` may delete ``contact``."""
    refusal = delete_refusal(user, contact)
    if refusal is not None:
        raise PermissionDenied(refusal)


# -- the customer pages ---------------------------------------------------------------------


def default_customer_access(user: Any, customer: Any) -> bool:
    """The default ``CUSTOMER_ACCESS``: any active staff user who may view contacts."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False) and can_view_contact(user))


def can_see_customer(user: Any, customer: Any) -> bool:
    """Whether ``user`` may see ``customer`` and its contacts on the customer pages.

    Asks the host's ``CUSTOMER_ACCESS`` hook (``callable(user, customer) -> bool``; a
    multi-tenant CRM lets a dealer see only its own customers), else
    :func:`default_customer_access`. An anonymous user never may.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    access = app_settings.customer_access or default_customer_access
    return bool(access(user, customer))
