"""The app's management commands, and what more than one of them needs."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.management.base import CommandError
from django.db import models

from django_customer_contacts import get_customer_model
from django_customer_contacts.normalize import parse_pk

_Q = TypeVar("_Q", bound=models.QuerySet[Any])


def of_customers(contacts: _Q, customers: list[str]) -> _Q:
    """``contacts`` of the customers whose pks ``--customer`` gave (all for none);
    ``CommandError`` for a value that can't be a customer's pk."""
    if not customers:
        return contacts
    return contacts.filter(customer__in=customer_keys(customers))


def customer_keys(customers: list[str]) -> list[Any]:
    """The customers' pks ``--customer`` gave; ``CommandError`` for a value that can't be one."""
    try:
        return [parse_pk(get_customer_model(), pk) for pk in customers]
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
