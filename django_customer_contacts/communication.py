"""Recording that a contact was reached: ``record_communication``.

``record_communication`` is called on every message a host sends, so it is one
``UPDATE`` and writes no history row: a history row per email would bury the changes
people make. The next ordinary save of the contact carries the value into history.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import get_contact_model
from .exceptions import ContactError
from .locking import db_for_write

if TYPE_CHECKING:
    from .models import AbstractContact

_Contact = TypeVar("_Contact", bound="AbstractContact")

#: The channels ``record_communication`` accepts.
COMMUNICATION_CHANNELS = ("email", "sms", "phone", "letter", "meeting", "other")


def record_communication(contact: _Contact, *, channel: str, when: datetime | None = None) -> _Contact:
    """Note that ``contact`` was reached on ``channel`` at ``when`` (default: now).

    Sets ``last_contacted_at`` with a single ``UPDATE``: no ``save()``, no history
    row, no change to ``modified``. A communication older than the one already
    recorded leaves ``last_contacted_at`` alone, so it never moves back in time.
    Returns the contact, its ``last_contacted_at`` updated.

    Raises ``ValueError`` for an unknown channel or a ``when`` that is not an aware
    datetime (mistakes in the calling code), and ``ContactError`` for an unsaved or
    deleted contact.
    """
    if channel not in COMMUNICATION_CHANNELS:
        raise ValueError(
            _("Unknown channel %(channel)r: use one of %(channels)s.")
            % {"channel": channel, "channels": ", ".join(COMMUNICATION_CHANNELS)}
        )
    if when is None:
        when = timezone.now()
    elif not isinstance(when, datetime):
        raise ValueError(_("“when” must be a date and time."))
    elif timezone.is_naive(when) and timezone.is_aware(timezone.now()):
        raise ValueError(_("“when” must be a time-zone aware date and time (USE_TZ is on)."))
    if contact.pk is None:
        raise ContactError(_("Save the contact before recording a communication with it."))

    model = get_contact_model()
    manager = model._default_manager.using(db_for_write(contact))
    updated = (
        manager.filter(pk=contact.pk)
        .filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=when))
        .update(last_contacted_at=when)
    )
    if updated:
        contact.last_contacted_at = when
    elif not manager.filter(pk=contact.pk).exists():
        raise ContactError(_("This contact no longer exists."))
    return contact
