"""Comparing two contacts: how likely they are the same person, and why.

:func:`compare` weighs every signal two contacts of one customer have — given name,
surname, middle names, birthday, email addresses, phone numbers — and returns a
:class:`Comparison`: a score between 0 and 1, the signals that speak for a match
(``reasons``) and each signal's evidence in words. Pure functions of the values: the
database work (which pairs to compare) is ``duplicates``'.

How the evidence is weighed
---------------------------

Each signal adds a weight (a log-odds, as in Fellegi and Sunter's record linkage): the
same birthday adds 4, a different one takes 6 away, a missing one adds nothing. The
score is the logistic of the sum, less :data:`OFFSET`. The weights below were set on
a generated data set with known duplicates, and the default threshold
(``DUPLICATE_MIN_SCORE``) was chosen on it; the quality they reach is measured on
another generated set (``benchmarks/duplicates_quality.py``, and "Finding duplicates"
in the docs).

Names are compared word by word after folding (case, accents, punctuation): the first
word of the first name is the given name, other words and the middle name are middle
names. A given name matches its nicknames ("Bob" and "Robert", see ``nicknames``) and
its initial; spellings one typo apart (a letter added, dropped, changed, or two letters
swapped) count as a match, less so for short names; first and last name swapped are
compared crosswise. A middle name present on one contact only is no evidence either
way.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import OSA, Indel

from .nicknames import given_name_forms, name_spellings
from .normalize import email_key, email_match_key, fold_name

__all__ = ["OFFSET", "WEIGHTS", "Comparison", "Evidence", "Person", "compare", "score"]

#: Subtracted from the weights' sum before the logistic: the sum at which the score is 0.5.
OFFSET = 4.0

# -- weights (log-odds) ---------------------------------------------------------------

#: The weight of each kind of evidence, by name; see the module docstring.
WEIGHTS: dict[str, float] = {
    "given_same": 2.5,  # equal, or nicknames of one name
    "given_nickname_typo": 1.0,  # one typo away from a nickname: "Kfate" and "Katherine"
    "given_initial": 1.0,  # "J" and "John"
    "given_typo": 2.0,  # one edit apart, five letters or more
    "given_typo_short": 2.0,  # one edit apart, shorter
    "given_two_typos": -1.0,  # two edits apart, five letters or more
    "given_different": -3.0,
    "given_unlike": -5.0,  # half their letters or fewer in common: "Mary" and "Emma"
    "surname_same": 2.5,
    "surname_part": 2.0,  # "Garcia" and "Garcia Lopez"
    "surname_typo": 2.0,
    "surname_typo_short": 2.0,
    "surname_two_typos": -1.0,
    "surname_different": -2.5,
    "swapped": -0.25,  # first and last name swapped: a little less sure than in place
    "middle_agrees": 2.0,
    "middle_differs": -4.0,
    "birthday_same": 5.0,
    "birthday_swapped": 4.0,  # day and month swapped
    "birthday_different": -7.0,
    "email_same": 3.5,
    "email_same_mailbox": 3.0,  # the same address but for a +tag
    "email_none_shared": -1.0,
    "mobile_same": 3.5,
    "phone_same": 0.5,  # a landline, a switchboard: households and offices share them
    "phone_none_shared": -1.25,  # both have a mobile, none in common
}

MOBILE_KINDS = frozenset({"mobile"})


_NO_PHONES: Mapping[str, str] = MappingProxyType({})


class Person(NamedTuple):
    """What comparing a contact needs: folded names, birthday, addresses and numbers."""

    pk: Any
    given: str
    middle: tuple[str, ...]
    surname: str
    birthday: datetime.date | None = None
    emails: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = frozenset()
    #: E.164 number -> kind (``"mobile"``, ``"home"``, …).
    phones: Mapping[str, str] = _NO_PHONES

    @classmethod
    def build(
        cls,
        pk: Any,
        first_name: str,
        middle_name: str,
        last_name: str,
        birthday: datetime.date | None = None,
        emails: Iterable[str] = (),
        phones: Iterable[tuple[str, str]] = (),
        *,
        normalized: bool = False,
    ) -> Person:
        """From a contact's values; ``emails`` as typed (``normalized``: as ``email_key()``
        gives them, as stored), ``phones`` as ``(e164, kind)``."""
        given, middle = _given_and_middle(first_name, middle_name)
        if emails:
            keys = frozenset(address if normalized else email_key(address) for address in emails if address)
            # Without a "+tag", an address is its own mailbox: most are.
            mailboxes = (
                frozenset(email_match_key(key, normalized=True) for key in keys)
                if any("+" in key for key in keys)
                else keys
            )
        else:
            keys = mailboxes = _NO_EMAILS
        numbers = {str(number): kind for number, kind in phones if number} if phones else _NO_PHONES
        # Positional: a search builds thousands.
        return cls(pk, given, middle, fold_name(last_name), birthday, keys, mailboxes, numbers)


_NO_EMAILS: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=1 << 16)
def _given_and_middle(first_name: str, middle_name: str) -> tuple[str, tuple[str, ...]]:
    """The given name (the first name's first word, folded) and the middle names."""
    first_words = fold_name(first_name).split()
    return (first_words[0] if first_words else "", (*first_words[1:], *fold_name(middle_name).split()))


W = WEIGHTS

#: How two spellings of a name compare, in words.
HOW = {
    "same": _("same"),
    "nickname": _("nickname"),
    "initial": _("initial"),
    "part": _("part of it"),
    "spaces": _("spelled alike"),
    "typo": _("one letter apart"),
    "typo_short": _("one letter apart"),
    "nickname_typo": _("nickname, one letter apart"),
    "two_typos": _("two letters apart"),
    "different": _("different"),
    "unlike": _("different"),
}


class Evidence(NamedTuple):
    """One signal of a comparison: its kind (``"name"``, ``"birthday"``, ``"email"``,
    ``"phone"``), its weight, and what it says (``text``, translated when read)."""

    kind: str
    weight: float
    message: Promise | str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def text(self) -> str:
        params = {name: HOW.get(value, value) if name == "how" else value for name, value in self.params}
        return str(self.message) % params if params else str(self.message)


@dataclass(frozen=True, slots=True)
class Comparison:
    """How alike two contacts are: ``score`` (0 to 1), ``reasons`` (the kinds of
    evidence that speak for a match) and ``evidence``, each signal in words."""

    score: float
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> frozenset[str]:
        return frozenset(item.kind for item in self.evidence if item.weight > 0)

    def explain(self) -> str:
        """The evidence in a sentence, strongest first: ``"same birthday; names alike (…)"``."""
        ordered = sorted(self.evidence, key=lambda item: -abs(item.weight))
        return "; ".join(item.text for item in ordered)


def _edits(a: str, b: str) -> int:
    """Letters added, dropped, changed or swapped with a neighbour to turn ``a`` into ``b``."""
    return int(OSA.distance(a, b))


# What each way two names compare weighs (a key of WEIGHTS), for given names and surnames.
GIVEN_WEIGHTS = {
    "same": "given_same",
    "nickname": "given_same",
    "nickname_typo": "given_nickname_typo",
    "initial": "given_initial",
    "spaces": "given_typo",
    "typo": "given_typo",
    "typo_short": "given_typo_short",
    "two_typos": "given_two_typos",
    "different": "given_different",
    "unlike": "given_unlike",
}
SURNAME_WEIGHTS = {
    "same": "surname_same",
    "part": "surname_part",
    "spaces": "surname_typo",
    "typo": "surname_typo",
    "typo_short": "surname_typo_short",
    "two_typos": "surname_two_typos",
    "different": "surname_different",
}


# Names repeat (common ones most): each pair of spellings is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def _given_how(a: str, b: str) -> str:
    """How two folded given names compare: a key of :data:`GIVEN_WEIGHTS`."""
    if a == b:
        return "same"
    a_forms, b_forms = given_name_forms(a), given_name_forms(b)
    if a_forms & b_forms:
        return "nickname"
    if len(a) == 1 or len(b) == 1:
        return "initial" if a[0] == b[0] else "different"
    how = _spelling_how(a, b)
    if how != "different":
        return how
    if any(_edits(a, form) <= 1 for form in name_spellings(b_forms)) or any(
        _edits(b, form) <= 1 for form in name_spellings(a_forms)
    ):
        return "nickname_typo"
    if Indel.normalized_similarity(a, b) <= 0.5:
        return "unlike"
    return "different"


@functools.lru_cache(maxsize=1 << 16)
def _surname_how(a: str, b: str) -> str:
    """How two folded surnames compare: a key of :data:`SURNAME_WEIGHTS`."""
    if a == b:
        return "same"
    a_words, b_words = a.split(), b.split()
    if len(a_words) != len(b_words) and (set(a_words) <= set(b_words) or set(b_words) <= set(a_words)):
        return "part"
    return _spelling_how(a.replace(" ", ""), b.replace(" ", ""))


def _spelling_how(a: str, b: str) -> str:
    edits = _edits(a, b)
    shorter = min(len(a), len(b))
    if edits == 0:  # equal but for spaces
        return "spaces"
    if edits == 1:
        return "typo" if shorter >= 5 else "typo_short"
    if edits == 2 and shorter >= 5:
        return "two_typos"
    return "different"


FIRST_NAMES = _("first names %(a)s and %(b)s: %(how)s")
LAST_NAMES = _("last names %(a)s and %(b)s: %(how)s")
SWAPPED_TEXT = _("first and last name swapped")
MIDDLE_AGREES_TEXT = _("middle names agree")
MIDDLE_DIFFERS_TEXT = _("different middle names")
BIRTHDAY_SAME_TEXT = _("same birthday")
BIRTHDAY_SWAPPED_TEXT = _("birthdays with day and month swapped")
BIRTHDAY_DIFFERENT_TEXT = _("different birthdays")
EMAIL_SAME_TEXT = _("same email %(email)s")
EMAIL_SAME_MAILBOX_TEXT = _("same mailbox %(email)s")
EMAIL_NONE_SHARED_TEXT = _("no email in common")
PHONE_NONE_SHARED_TEXT = _("no phone in common")
MOBILE_SAME_TEXT = _("same mobile %(number)s")
PHONE_SAME_TEXT = _("same phone %(number)s")


def _weigh(a: Person, b: Person, evidence: list[Evidence] | None) -> float:  # one signal after another
    """The sum of the weights of everything ``a`` and ``b`` have in common or not;
    each signal appended to ``evidence`` unless it is ``None`` (scoring alone, as
    :func:`score` does for every candidate pair, builds no words)."""
    total = 0.0
    # Names: in place, or crosswise (first and last name swapped) when that fits better.
    given = _given_how(a.given, b.given) if a.given and b.given else None
    surname = _surname_how(a.surname, b.surname) if a.surname and b.surname else None
    names = (W[GIVEN_WEIGHTS[given]] if given else 0.0) + (W[SURNAME_WEIGHTS[surname]] if surname else 0.0)
    crosswise = False
    if given and surname and (W[GIVEN_WEIGHTS[given]] < 0 or W[SURNAME_WEIGHTS[surname]] < 0):
        cross_given, cross_surname = _given_how(a.given, b.surname), _surname_how(a.surname, b.given)
        swapped = W[GIVEN_WEIGHTS[cross_given]] + W[SURNAME_WEIGHTS[cross_surname]] + W["swapped"]
        if swapped > names:
            names, given, surname, crosswise = swapped, cross_given, cross_surname, True
    total += names
    if evidence is not None:
        b_given, b_surname = (b.surname, b.given) if crosswise else (b.given, b.surname)
        if given:
            evidence.append(
                Evidence("name", W[GIVEN_WEIGHTS[given]], FIRST_NAMES, (("a", a.given), ("b", b_given), ("how", given)))
            )
        if surname:
            how = (("a", a.surname), ("b", b_surname), ("how", surname))
            evidence.append(Evidence("name", W[SURNAME_WEIGHTS[surname]], LAST_NAMES, how))
        if crosswise:
            evidence.append(Evidence("name", W["swapped"], SWAPPED_TEXT))
    if a.middle and b.middle:
        agree = any(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x in a.middle for y in b.middle)
        key, text = ("middle_agrees", MIDDLE_AGREES_TEXT) if agree else ("middle_differs", MIDDLE_DIFFERS_TEXT)
        total += W[key]
        if evidence is not None:
            evidence.append(Evidence("name", W[key], text))
    # Birthday.
    if a.birthday is not None and b.birthday is not None:
        x, y = a.birthday, b.birthday
        if x == y:
            key, text = "birthday_same", BIRTHDAY_SAME_TEXT
        elif (x.year, x.month, x.day) == (y.year, y.day, y.month):
            key, text = "birthday_swapped", BIRTHDAY_SWAPPED_TEXT
        else:
            key, text = "birthday_different", BIRTHDAY_DIFFERENT_TEXT
        total += W[key]
        if evidence is not None:
            evidence.append(Evidence("birthday", W[key], text))
    # Email addresses.
    if a.emails and b.emails:
        params: tuple[tuple[str, Any], ...] = ()
        shared = a.emails & b.emails
        if shared:
            key, text, params = "email_same", EMAIL_SAME_TEXT, (("email", min(shared)),)
        elif a.mailboxes & b.mailboxes:
            key, text, params = (
                "email_same_mailbox",
                EMAIL_SAME_MAILBOX_TEXT,
                (("email", min(a.mailboxes & b.mailboxes)),),
            )
        else:
            key, text = "email_none_shared", EMAIL_NONE_SHARED_TEXT
        total += W[key]
        if evidence is not None:
            evidence.append(Evidence("email", W[key], text, params))
    # Phone numbers.
    if a.phones and b.phones:
        params = ()
        numbers = a.phones.keys() & b.phones.keys()
        mobile = [n for n in sorted(numbers) if a.phones[n] in MOBILE_KINDS and b.phones[n] in MOBILE_KINDS]
        key = ""
        if mobile:
            key, text, params = "mobile_same", MOBILE_SAME_TEXT, (("number", mobile[0]),)
        elif numbers:
            key, text, params = "phone_same", PHONE_SAME_TEXT, (("number", min(numbers)),)
        elif _has_mobile(a) and _has_mobile(b):
            # Different mobiles: two people. A mobile and a work line: one may have both.
            key, text = "phone_none_shared", PHONE_NONE_SHARED_TEXT
        if key:
            total += W[key]
            if evidence is not None:
                evidence.append(Evidence("phone", W[key], text, params))
    return total


def _has_mobile(person: Person) -> bool:
    return not MOBILE_KINDS.isdisjoint(person.phones.values())


def _logistic(total: float) -> float:
    return 1.0 / (1.0 + math.exp(OFFSET - total))


def score(a: Person, b: Person) -> float:
    """:func:`compare`'s score alone: what ranking many candidate pairs needs."""
    return _logistic(_weigh(a, b, None))


def compare(a: Person, b: Person) -> Comparison:
    """How likely ``a`` and ``b`` are the same person, and why (see the module docstring)."""
    evidence: list[Evidence] = []
    total = _weigh(a, b, evidence)
    return Comparison(score=_logistic(total), evidence=tuple(evidence))
