"""The one owner of every normalised spelling the app compares.

Names, email addresses and phone numbers arrive as people type them. Uniqueness,
duplicate detection, search and erasure compare normalised keys, and every one of
those keys is computed here, so two parts of the app can't disagree on what "the same
address" or "the same number" means.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

__all__ = [
    "EMAIL_KEY_LENGTH",
    "NAME_KEY_LENGTH",
    "TAG_KEY_LENGTH",
    "default_region",
    "display_phone",
    "email_key",
    "find_phone_numbers",
    "name_key",
    "parse_phone",
    "parse_pk",
    "phone_search_key",
    "phone_search_lookups",
    "phone_spellings",
    "tag_key",
]

#: The longest key each column holds (``AbstractContact.name_key``,
#: ``ContactEmail.email_normalized``, ``Tag.name_key``): the functions below never return a longer one.
NAME_KEY_LENGTH = 500
EMAIL_KEY_LENGTH = 254
TAG_KEY_LENGTH = 100


def _fit(key: str, length: int) -> str:
    """``key``, or for a longer one its start and a digest of the whole.

    Case folding and compatibility mappings make a key longer than the text
    (``"ß"`` folds to ``"ss"``, ``"ﬃ"`` to ``"ffi"``), so a name or address within
    its field's limit can give a key beyond its column's. Cut to the start alone, two
    keys differing only past the cut would compare equal; the digest keeps them apart,
    and equal keys still give equal results.
    """
    if len(key) <= length:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: length - len(digest) - 1]}~{digest}"


def name_key(value: str) -> str:
    """Casefolded, accent-stripped, single-spaced: ``"  José  ÁLVAREZ"`` -> ``"jose alvarez"``.

    At most :data:`NAME_KEY_LENGTH` characters (see :func:`_fit`).
    """
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _fit(" ".join(stripped.split()), NAME_KEY_LENGTH)


def email_key(address: str) -> str:
    """The address as uniqueness and duplicate detection compare it.

    Trimmed, compatibility-normalised and case-folded (Unicode's NFKC_Casefold, as
    Python spells it): ``SAM@Example.org`` typed with a long s (U+017F) or with
    fullwidth letters (U+FF41 to U+FF5A) gives ``"sam@example.org"``. Computed here,
    not left to the database's collation, so PostgreSQL, SQLite and MariaDB agree on
    which addresses are the same. At most :data:`EMAIL_KEY_LENGTH` characters.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address.strip()).casefold())
    return _fit(folded, EMAIL_KEY_LENGTH)


def tag_key(name: str) -> str:
    """A tag's name as uniqueness compares it: single-spaced and case-folded.

    ``"Key  ACCOUNT"`` gives ``"key account"``; accents, symbols and emoji count
    (``"Café"`` and ``"Cafe"``, ``"🔥 vip"`` and ``"🚀 vip"`` are different tags).
    ``Tag.name_key`` stores it in a column every database compares exactly. At most
    :data:`TAG_KEY_LENGTH` characters.
    """
    return _fit(" ".join(name.split()).casefold(), TAG_KEY_LENGTH)


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


def display_phone(value: object) -> str:
    """A stored number as staff read it: in national format (``07911 123456``) when it
    has the country code of :func:`default_region`, else in international format
    (``+33 1 23 45 67 89``); as stored when it isn't a valid number."""
    number = parse_phone(value)
    if number is None or not number.is_valid():
        return "" if value is None else str(value)
    region = default_region()
    if region and number.country_code == phonenumbers.country_code_for_region(region):
        return str(number.as_national)
    return str(number.as_international)


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


#: The fewest digits a search term needs to be looked for in phone numbers.
PHONE_FRAGMENT_DIGITS = 3
_PHONE_PUNCTUATION = frozenset(" +-./()")


def phone_search_lookups(term: str) -> list[tuple[str, str]]:
    """How to find the stored (E.164) numbers a search term names, whole or in part.

    ``(lookup, value)`` pairs for the ``number`` column, any of which matches; ``[]``
    when the term can't be (part of) a number: letters, other symbols, or fewer than
    :data:`PHONE_FRAGMENT_DIGITS` digits.

    * A whole number (:func:`phone_search_key`): that number, exactly.
    * The start of an international number (``+44 7911``, ``0044 7911``): numbers
      starting so.
    * Digits starting with the national prefix of :func:`default_region` (``07911 12``
      in the UK): numbers starting so in that country, or holding those digits.
    * Other digits, however spaced (``123456``, ``123 456``): numbers holding them.
    """
    term = term.strip()
    if not term or any(char not in _PHONE_PUNCTUATION and not char.isdigit() for char in term):
        return []
    digits = "".join(char for char in term if char.isdigit())
    if len(digits) < PHONE_FRAGMENT_DIGITS:
        return []
    whole = phone_search_key(term)
    lookups = [("exact", whole)] if whole is not None else []
    if term.startswith("+"):
        return [*lookups, ("startswith", f"+{digits}")]
    if digits.startswith("00"):
        return [*lookups, ("startswith", f"+{digits[2:]}"), ("contains", digits)]
    region = default_region()
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    prefix = metadata.national_prefix if metadata is not None else None
    if region and prefix and digits.startswith(prefix) and len(digits) > len(prefix):
        country_code = phonenumbers.country_code_for_region(region)
        lookups.append(("startswith", f"+{country_code}{digits[len(prefix) :]}"))
    return [*lookups, ("contains", digits)]


def phone_spellings(value: object) -> set[str]:
    """A phone number as people write it, for erasure to cut out of free text.

    As stored; E.164 (``+447912345678``); international and national as formatted
    (``+44 7912 345678``, ``07912 345678``) and as ``tel:`` links; and the digits
    alone, national (``07912345678``), international with and without the ``00``
    prefix (``447912345678``, ``00447912345678``) and without the trunk prefix
    (``7912345678``). :func:`find_phone_numbers` finds the spellings no list can hold.
    """
    spellings = {str(value)}
    number = parse_phone(value)
    if number is not None and number.is_valid():
        national = number.as_national
        significant = phonenumbers.national_significant_number(number)
        international_digits = f"{number.country_code}{significant}"
        spellings.update(
            (
                number.as_e164,
                number.as_international,
                national,
                number.as_rfc3966,
                "".join(char for char in national if char.isdigit()),
                international_digits,
                f"00{international_digits}",
                significant,
            )
        )
    spellings.discard("")
    return spellings


def find_phone_numbers(text: str, regions: Iterable[str | None] = ()) -> Iterator[tuple[int, int, str]]:
    """Every phone number written in ``text``, however spaced or punctuated.

    Yields ``(start, end, e164)`` for each possible number that reads as one, with the
    :func:`default_region` and with each of ``regions`` for numbers written without a
    country code (``"07912-345-678"``, ``"(07912) 345678"``), in the order found;
    spans read with two regions may overlap.
    """
    seen: set[tuple[int, int, str]] = set()
    for region in dict.fromkeys((default_region(), *regions)):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            found = (
                match.start,
                match.end,
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164),
            )
            if found not in seen:
                seen.add(found)
                yield found


def parse_pk(model: type[models.Model], value: object, using: str | None = None) -> Any:
    """``value`` (typed on a command line, or from code) as a primary key of ``model``.

    Raises ``ValueError`` with a message for the person who typed it when it can't be
    one: text that isn't a key (``"abc"``, ``"1.5"``), or a number beyond what the
    column holds on database ``using`` (``99999999999999999999999``), which some
    drivers would otherwise answer with an ``OverflowError`` instead of "no such row".
    """
    field = model._meta.pk
    assert field is not None  # every concrete model has one
    name = model._meta.verbose_name
    try:
        key = field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        key = None
    if key is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("“%(value)s” is not a valid %(model)s key.") % {"value": value, "model": name})
    # A child of multi-table inheritance: its key is a link to the parent's.
    target = getattr(field, "target_field", field)
    if isinstance(key, int):
        connection = connections[using or router.db_for_read(model)]
        try:
            low, high = connection.ops.integer_field_range(target.get_internal_type())
        except KeyError:  # not an integer column after all
            return key
        if (low is not None and key < low) or (high is not None and key > high):
            raise ValueError(_("There is no %(model)s with the key %(value)s.") % {"model": name, "value": key})
    return key
