"""Validators referenced by the models (kept importable for migrations)."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA time zone names this system knows, sorted (read once)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def _timezone_name_set() -> frozenset[str]:
    return frozenset(timezone_names())


def validate_timezone(value: str) -> None:
    """Accept an IANA time zone name such as ``Europe/London``."""
    if value and value not in _timezone_name_set():
        raise ValidationError(
            _("“%(value)s” is not a time zone name. Use an IANA name such as “Europe/London”."),
            code="invalid_timezone",
            params={"value": value},
        )


def validate_language(value: str) -> None:
    """Accept a language code listed in ``settings.LANGUAGES``.

    Checked at validation time rather than declared as field choices, so a host's
    ``LANGUAGES`` never shows up as a change to this app's migrations.
    """
    if value and value not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(
            _("“%(value)s” is not one of the site's languages."),
            code="invalid_language",
            params={"value": value},
        )
