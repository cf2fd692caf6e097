"""The one owner of every normalised spelling the app compares.

Names, email addresses and phone numbers arrive as people type them. Uniqueness,
duplicate detection, search and erasure compare normalised keys, and every one of
those keys is computed here, so two parts of the app can't disagree on what "the same
address" or "the same number" means.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

from .nicknames import given_name_forms

__all__ = [
    "EMAIL_KEY_LENGTH",
    "MATCH_KEY_LENGTH",
    "NAME_KEY_LENGTH",
    "TAG_KEY_LENGTH",
    "MatchKeys",
    "birthday_key",
    "canonical_given_name",
    "default_region",
    "display_phone",
    "email_key",
    "email_match_key",
    "find_phone_numbers",
    "fold_name",
    "match_keys",
    "name_key",
    "parse_phone",
    "parse_pk",
    "phone_search_key",
    "phone_search_lookups",
    "phone_spellings",
    "phonetic_code",
    "tag_key",
]

#: The longest key each column holds (``AbstractContact.name_key``,
#: ``ContactEmail.email_normalized``, ``Tag.name_key``): the functions below never return a longer one.
NAME_KEY_LENGTH = 500
EMAIL_KEY_LENGTH = 254
TAG_KEY_LENGTH = 100
#: The longest blocking key (:func:`match_keys`) a contact's ``match_*_key`` column holds.
MATCH_KEY_LENGTH = 40


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


# Letters NFKD leaves whole, as people without the key on their keyboard write them.
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i", "ħ": "h"}
)
# Apostrophes join ("O'Brien" is "obrien"); every other non-letter separates.
_JOINERS = frozenset("'\u2019\u02bc`\u00b4")  # apostrophes, typographic ones too


@functools.lru_cache(maxsize=1 << 16)  # names repeat: duplicate detection folds thousands
def fold_name(value: str) -> str:
    """A name as duplicate detection compares it: casefolded, without accents and
    punctuation, single-spaced: ``"  O'Brien-ÁLVAREZ "`` -> ``"obrien alvarez"``."""
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_LETTER_FOLDS))
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _JOINERS:
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


# Soundex's letter classes: letters of one class sound alike. Vowels (and y) separate
# repeats; h and w don't.
_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
    **dict.fromkeys("aeiouy", ""),
    **dict.fromkeys("hw", None),
}
# First letters that are spelled either way: "Catherine" and "Katherine", "Philip" and "Filip".
_FIRST_SOUNDS = (("ph", "f"), ("c", "k"), ("z", "s"))


def phonetic_code(token: str) -> str:
    """A folded name's sound, as Soundex writes it: ``"smith"``, ``"smyth"`` and
    ``"smtih"`` -> ``"s53"``; ``"catherine"`` and ``"katherine"`` -> ``"k365"``.

    American Soundex without the padding, but for the first letter: ``c``, ``z`` and
    ``ph`` start the code as ``k``, ``s`` and ``f``. A name in another script (no
    letter a-z in it) is its own code.
    """
    if not token or not ("a" <= token[0] <= "z"):
        return token[:MATCH_KEY_LENGTH]
    first = token[0]
    for spelling, sound in _FIRST_SOUNDS:
        if token.startswith(spelling):
            first = sound
            break
    code = [first]
    previous = _SOUNDEX.get(token[0])
    for char in token[1:]:
        digit = _SOUNDEX.get(char, "")
        if digit is None:  # h, w: no sound of their own, and no separation either
            continue
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        previous = digit
    return "".join(code)


def canonical_given_name(token: str) -> str:
    """The full given name a folded first name stands for (``"bob"`` -> ``"robert"``):
    of several (``"chris"``), the first in alphabetical order. See ``nicknames``."""
    return min(given_name_forms(token))


def birthday_key(birthday: datetime.date | None) -> str:
    """The date with its day and month in either order: 3 December and 12 March 1980
    are both ``"1980-03-12"``; ``""`` for none."""
    if birthday is None:
        return ""
    low, high = sorted((birthday.month, birthday.day))
    return f"{birthday.year:04d}-{low:02d}-{high:02d}"


class MatchKeys(NamedTuple):
    """A contact's blocking keys: two contacts of one customer are compared when they
    share one (see ``duplicates``).

    Each name key pairs one name's sound with two letters of the other name — the
    surname's sound with the given name's first two letters, say — so that a typo in
    one name leaves a key of the other intact. The two keys of a kind are stored in
    sorted order (``low``, ``high``): with first and last name swapped, the pair is the
    same.
    """

    #: The sounds of the surname and the given name, each with the other's first two letters.
    initial_low: str
    initial_high: str
    #: The same with the other name's last two letters: a typo at the start of a name leaves it.
    final_low: str
    final_high: str
    #: :func:`birthday_key`.
    birthday: str


def match_keys(first_name: str, last_name: str, birthday: datetime.date | None) -> MatchKeys:
    """The blocking keys of a contact with these names and birthday.

    The given name is the first word of ``first_name`` (a middle name takes no part),
    read as the full name it stands for (``"Bob"`` as ``"robert"``); the surname is the
    first word of ``last_name``. The name keys need both names: without one, they are
    ``""`` — no key, never compared.
    """
    given = next(iter(fold_name(first_name).split()), "")
    surname = next(iter(fold_name(last_name).split()), "")
    birthday_part = birthday_key(birthday)
    if not (given and surname):
        return MatchKeys("", "", "", "", birthday_part)
    given = canonical_given_name(given)
    given_code, surname_code = phonetic_code(given), phonetic_code(surname)
    initial_low, initial_high = sorted((f"{surname_code} {given[:2]}", f"{given_code} {surname[:2]}"))
    final_low, final_high = sorted((f"{surname_code} {given[-2:]}", f"{given_code} {surname[-2:]}"))
    return MatchKeys(
        initial_low[:MATCH_KEY_LENGTH],
        initial_high[:MATCH_KEY_LENGTH],
        final_low[:MATCH_KEY_LENGTH],
        final_high[:MATCH_KEY_LENGTH],
        birthday_part,
    )


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


def email_match_key(address: str, *, normalized: bool = False) -> str:
    """The mailbox an address reaches, as duplicate detection compares it: the
    :func:`email_key` without a ``+tag`` (``"Jane.Smith+crm@Example.org"`` ->
    ``"jane.smith@example.org"``). ``normalized``: ``address`` is an ``email_key()`` already."""
    key = address if normalized else email_key(address)
    local, at, domain = key.rpartition("@")
    if not at:
        return key
    return f"{local.partition('+')[0] or local}@{domain}"


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
