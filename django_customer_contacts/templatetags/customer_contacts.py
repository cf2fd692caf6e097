"""Template tags for contacts: ``{% load customer_contacts %}``.

Every value is escaped: the filters build their HTML with ``format_html`` and the
card's template is autoescaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django import template
from django.utils.html import format_html
from phonenumber_field.phonenumber import PhoneNumber

from django_customer_contacts import get_contact_model
from django_customer_contacts.normalize import parse_phone
from django_customer_contacts.querysets import PRIMARY_CONTACT_ATTR

if TYPE_CHECKING:
    from django.db import models

    from django_customer_contacts.models import AbstractContact, NotificationCategory
    from django_customer_contacts.querysets import ContactQuerySet

register = template.Library()


@register.simple_tag
def primary_contact(customer: models.Model | None) -> AbstractContact | None:
    """``{% primary_contact customer as c %}``: the customer's primary contact, or ``None``.

    No query when the customers were fetched with ``prefetch_primary_contacts()``
    (or with their contacts prefetched); otherwise one query per customer.
    """
    if customer is None or getattr(customer, "pk", None) is None:
        return None
    prefetched = getattr(customer, PRIMARY_CONTACT_ATTR, None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    model = get_contact_model()
    accessor = model._meta.get_field("customer").remote_field.get_accessor_name()
    all_contacts = getattr(customer, "_prefetched_objects_cache", {}).get(accessor)
    if all_contacts is not None:
        return next((contact for contact in all_contacts if contact.is_primary), None)
    return model._default_manager.filter(customer_id=customer.pk, is_primary=True).first()


@register.filter(is_safe=False)
def display_name(contact: object) -> str:
    """``{{ contact|display_name }}``: title and full name, e.g. "Dr Jane Smith"."""
    if contact is None or contact == "":
        return ""
    return getattr(contact, "display_name", str(contact))


def _phone_number(value: object) -> PhoneNumber | None:
    number = parse_phone(getattr(value, "number", value))  # a ContactPhone, or the number itself
    return number if number is not None and number.is_valid() else None


@register.filter
def tel_link(value: object) -> str:
    """``{{ phone|tel_link }}``: ``<a href="tel:+447700900123">+44 7700 900123</a>``.

    Takes a phone number, a ``ContactPhone`` or a string; a value that isn't a valid
    number is shown, escaped, without a link.
    """
    number = _phone_number(value)
    if number is None:
        return "" if value is None else format_html("{}", getattr(value, "number", value))
    return format_html('<a href="tel:{}">{}</a>', number.as_e164, number.as_international)


@register.filter
def mailto_link(value: object) -> str:
    """``{{ address|mailto_link }}``: ``<a href="mailto:jane@example.com">jane@example.com</a>``.

    Takes an address or a ``ContactEmail``.
    """
    address = getattr(value, "email", value)
    if not address:
        return ""
    address = str(address)
    return format_html('<a href="mailto:{}">{}</a>', quote(address, safe="@+"), address)


@register.inclusion_tag("customer_contacts/contact_card.html")
def contact_card(contact: AbstractContact | None) -> dict[str, Any]:
    """``{% contact_card contact %}``: an hCard with the name, job, emails and phones.

    Renders ``customer_contacts/contact_card.html``; override the template to change
    it. Prefetch ``emails`` and ``phones`` when rendering many cards.
    """
    if contact is None or getattr(contact, "pk", None) is None:
        return {"contact": None, "emails": [], "phones": []}
    return {"contact": contact, "emails": list(contact.emails.all()), "phones": list(contact.phones.all())}


@register.simple_tag
def contact_recipients(
    customer: Any,
    channel: str = "email",
    category: NotificationCategory | str | None = None,
    scope: models.Model | None = None,
    marketing: bool = False,
    followup: bool = False,
) -> ContactQuerySet:
    """``{% contact_recipients customer category="billing" as people %}``.

    The contacts ``Contact.objects.recipients()`` returns (one query), each with its
    ``recipient_address``. Takes the same keywords.
    """
    if customer is None or customer == "":
        return get_contact_model()._default_manager.none()
    return get_contact_model()._default_manager.recipients(
        customer,
        channel=channel,
        category=category or None,
        scope=scope or None,
        marketing=marketing,
        followup=followup,
    )
