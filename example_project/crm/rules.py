"""Business rules the example CRM plugs into django-customer-contacts.

``settings.CUSTOMER_CONTACTS["PRIMARY_CONTACT_ALLOWED"]`` names
``primary_contact_allowed``; the app calls it before a contact becomes primary,
both for the automatic first primary and for ``set_primary_contact()``.
``ONE_TIME_SCOPE`` names ``case_scope``: the customer pages' "New contact" page,
opened from a case with ``?scope=<case pk>``, offers a one-time contact for that case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Case, Customer


def primary_contact_allowed(customer: Customer) -> bool:
    """Whether ``customer`` may have a primary contact. This CRM allows it for all.

    Some CRMs offer a primary contact for private customers only. To do the same::

        return customer.kind == customer.Kind.PRIVATE
    """
    return True


def case_scope(request: HttpRequest, customer: Customer, value: Any) -> Case | None:
    """The case ``?scope=`` names, when it is one of ``customer``'s (else ``None``: no
    one-time contact is offered)."""
    from .models import Case

    if not str(value).isdigit():
        return None
    return Case.objects.filter(customer=customer, pk=int(value)).first()
