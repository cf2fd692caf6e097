"""Business rules the example CRM plugs into django-customer-contacts.

``settings.CUSTOMER_CONTACTS["PRIMARY_CONTACT_ALLOWED"]`` names
``primary_contact_allowed``; the app calls it before a contact becomes primary,
both for the automatic first primary and for ``set_primary_contact()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Customer


def primary_contact_allowed(customer: Customer) -> bool:
    """Whether ``customer`` may have a primary contact. This CRM allows it for all.

    Some CRMs offer a primary contact for private customers only. To do the same::

        return customer.kind == customer.Kind.PRIVATE
    """
    return True
