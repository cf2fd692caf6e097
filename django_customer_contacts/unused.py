"""Unused contacts: the one owner of "unused" and of "this customer needs a review".

A contact is unused when it is active, not the primary contact, was created before
the cut-off (now minus ``UNUSED_AFTER_DAYS``) and hasn't been reached since. One-time
contacts count like every other contact. ``ContactQuerySet.unused()`` and
``unused_review()`` are the query vocabulary built on :func:`unused_cutoff`; the
admin's notice on the customer page and a host's own page both ask
:func:`needs_unused_review`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from . import get_contact_model
from .conf import app_settings

__all__ = ["check_threshold", "needs_unused_review", "unused_cutoff", "unused_review_count", "unused_review_due"]


def _is_count(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def unused_cutoff(days: int | None = None) -> datetime:
    """The moment before which a contact must have been created (and last reached) to be unused.

    ``days`` defaults to ``UNUSED_AFTER_DAYS``; anything but a whole number of at least
    0, or so many days that the cut-off would fall before the year 1, raises ``ValueError``.
    """
    if days is None:
        days = app_settings.unused_after_days
    if not _is_count(days, 0):
        raise ValueError(_("The number of days must be a whole number of at least 0, not %(days)r.") % {"days": days})
    try:
        return timezone.now() - timedelta(days=days)
    except OverflowError:
        raise ValueError(
            _("%(days)s days ago is before the year 1: give a smaller number of days.") % {"days": days}
        ) from None


def check_threshold(threshold: int | None) -> int:
    """``threshold``, or ``UNUSED_REVIEW_THRESHOLD`` for ``None``; ``ValueError`` unless at least 1."""
    if threshold is None:
        threshold = app_settings.unused_review_threshold
    if not _is_count(threshold, 1):
        raise ValueError(
            _("The review threshold must be a whole number of at least 1, not %(threshold)r.")
            % {"threshold": threshold}
        )
    return threshold


def unused_review_count(customer: Any, *, days: int | None = None) -> int:
    """How many of ``customer``'s contacts (one-time ones too) are unused. One query."""
    customer_id = getattr(customer, "pk", customer)
    return get_contact_model()._default_manager.filter(customer_id=customer_id).unused(days).count()


def unused_review_due(customer: Any, *, days: int | None = None, threshold: int | None = None) -> int:
    """How many unused contacts ``customer`` has when that is at least the threshold, else 0.

    One query. For a notice that says how many contacts to review, as the admin's
    customer page shows.
    """
    threshold = check_threshold(threshold)
    count = unused_review_count(customer, days=days)
    return count if count >= threshold else 0


def needs_unused_review(customer: Any, *, days: int | None = None, threshold: int | None = None) -> bool:
    """Whether ``customer`` has ``UNUSED_REVIEW_THRESHOLD`` or more unused contacts. One query.

    Call it on your customer's contacts page to show a notice linking to the review
    of unused contacts, as the admin's customer page does; ``ContactQuerySet.unused_review()``
    lists every customer due a review at once.
    """
    return bool(unused_review_due(customer, days=days, threshold=threshold))
