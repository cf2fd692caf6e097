"""The one owner of every normalised spelling the app compares.

Names, email addresses and phone numbers arrive as people type them. Uniqueness,
duplicate detection, search and erasure compare normalised keys, and every one of
those keys is computed here, so two parts of the app can't disagree on what "the same
address" or "the same number" means.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings
from phonenumber_field.phonenumber import PhoneNumber, to_python

__all__ = [
    "default_region",
    "email_key",
    "name_key",
    "parse_phone",
    "phone_search_key",
    "phone_spellings",
]


def name_key(value: str) -> str:
    """Casefolded, accent-stripped, single-spaced: ``"  José  ÁLVAREZ"`` -> ``"jose alvarez"``."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.split())


def email_key(address: str) -> str:
    """The address as uniqueness and duplicate detection compare it: trimmed, lower-cased."""
    return address.strip().lower()


def default_region() -> str | None:
    """``PHONENUMBER_DEFAULT_REGION``: the region of numbers typed without a country code."""
    return getattr(settings, "PHONENUMBER_DEFAULT_REGION", None)


def parse_phone(value: object) -> PhoneNumber | None:
    """``value`` (a ``PhoneNumber``, or text as typed) parsed, or ``None`` if it can't be.

    Text is read with :func:`default_region`. The result may still be an impossible or
    invalid number: callers decide how strict to be (``is_valid()`` to link or store a
    number, ``phonenumbers.is_possible_number()`` to search for one).
    """
    if value is None or value == "":
        return None
    if isinstance(value, PhoneNumber):
        return value
    number = to_python(str(value), region=default_region())
    # to_python() wraps text it can't parse in a PhoneNumber without a number.
    if not isinstance(number, PhoneNumber) or number.national_number is None:
        return None
    return number


def phone_search_key(term: str) -> str | None:
    """The E.164 form of a search term that reads as a phone number, else ``None``.

    Staff type numbers as they were told them (``07911 123456``, ``+44 7911 123456``);
    numbers are stored in E.164. A term with letters or fewer than five digits is not a
    number; a possible (not necessarily valid) number is enough to search for it.
    """
    term = term.strip()
    if sum(char.isdigit() for char in term) < 5 or any(char.isalpha() for char in term):
        return None
    number = parse_phone(term)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_spellings(value: object) -> set[str]:
    """A phone number as people write it: as stored, E.164, international and national."""
    spellings = {str(value)}
    number = parse_phone(value)
    if number is not None and number.is_valid():
        spellings.update((number.as_e164, number.as_international, number.as_national))
    spellings.discard("")
    return spellings
