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
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import OSA, Indel

from .nicknames import given_name_forms, name_spellings
from .normalize import email_key, email_match_key, fold_name

__all__ = ["OFFSET", "Comparison", "Evidence", "Person", "compare"]

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
    "phone_none_shared": -1.25,
}

MOBILE_KINDS = frozenset({"mobile"})


@dataclass(frozen=True, slots=True)
class Person:
    """What comparing a contact needs: folded names, birthday, addresses and numbers."""

    pk: Any
    given: str
    middle: tuple[str, ...]
    surname: str
    birthday: datetime.date | None = None
    emails: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = frozenset()
    #: E.164 number -> kind (``"mobile"``, ``"home"``, …).
    phones: dict[str, str] = field(default_factory=dict)

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
    ) -> Person:
        """From a contact's values; ``emails`` as typed or normalised, ``phones`` as ``(e164, kind)``."""
        first_words = fold_name(first_name).split()
        addresses = [address for address in emails if address]
        return cls(
            pk=pk,
            given=first_words[0] if first_words else "",
            middle=(*first_words[1:], *fold_name(middle_name).split()),
            surname=fold_name(last_name),
            birthday=birthday,
            emails=frozenset(email_key(address) for address in addresses),
            mailboxes=frozenset(email_match_key(address) for address in addresses),
            phones={str(number): kind for number, kind in phones if number},
        )


W = WEIGHTS

#: How two spellings of a name compare, in words.
HOW = {
    "same": _("same"),
    "nickname": _("nickname"),
    "initial": _("initial"),
    "part": _("part of it"),
    "spaces": _("spelled alike"),
    "typo": _("one letter apart"),
    "nickname_typo": _("nickname, one letter apart"),
    "two_typos": _("two letters apart"),
    "different": _("different"),
    "unlike": _("different"),
}


@dataclass(frozen=True, slots=True)
class Evidence:
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


def _given_weight(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return W["given_same"], "same"
    a_forms, b_forms = given_name_forms(a), given_name_forms(b)
    if a_forms & b_forms:
        return W["given_same"], "nickname"
    if len(a) == 1 or len(b) == 1:
        return (W["given_initial"], "initial") if a[0] == b[0] else (W["given_different"], "different")
    weight, how = _spelling_weight(
        a, b, (W["given_typo"], W["given_typo_short"], W["given_two_typos"], W["given_different"])
    )
    if how == "different" and (
        any(_edits(a, form) <= 1 for form in name_spellings(b_forms))
        or any(_edits(b, form) <= 1 for form in name_spellings(a_forms))
    ):
        return W["given_nickname_typo"], "nickname_typo"
    if how == "different" and Indel.normalized_similarity(a, b) <= 0.5:
        return W["given_unlike"], "unlike"
    return weight, how


def _surname_weight(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return W["surname_same"], "same"
    a_words, b_words = a.split(), b.split()
    if len(a_words) != len(b_words) and (set(a_words) <= set(b_words) or set(b_words) <= set(a_words)):
        return W["surname_part"], "part"
    return _spelling_weight(
        a.replace(" ", ""),
        b.replace(" ", ""),
        (W["surname_typo"], W["surname_typo_short"], W["surname_two_typos"], W["surname_different"]),
    )


def _spelling_weight(a: str, b: str, weights: tuple[float, float, float, float]) -> tuple[float, str]:
    typo, typo_short, two_typos, different = weights
    edits = _edits(a, b)
    shorter = min(len(a), len(b))
    if edits == 0:  # equal but for spaces
        return typo, "spaces"
    if edits == 1:
        return (typo if shorter >= 5 else typo_short), "typo"
    if edits == 2 and shorter >= 5:
        return two_typos, "two_typos"
    return different, "different"


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


def _names(a: Person, b: Person) -> list[Evidence]:
    """The given names and surnames, in place or crosswise (first and last swapped)."""

    def pairs(a_given: str, a_surname: str, b_given: str, b_surname: str, swapped: bool) -> list[Evidence]:
        found: list[Evidence] = []
        if a_given and b_given:
            weight, how = _given_weight(a_given, b_given)
            found.append(Evidence("name", weight, FIRST_NAMES, (("a", a_given), ("b", b_given), ("how", how))))
        if a_surname and b_surname:
            weight, how = _surname_weight(a_surname, b_surname)
            found.append(Evidence("name", weight, LAST_NAMES, (("a", a_surname), ("b", b_surname), ("how", how))))
        if swapped and found:
            found.append(Evidence("name", W["swapped"], SWAPPED_TEXT))
        return found

    in_place = pairs(a.given, a.surname, b.given, b.surname, swapped=False)
    if a.given and a.surname and b.given and b.surname:
        crosswise = pairs(a.given, a.surname, b.surname, b.given, swapped=True)
        if sum(item.weight for item in crosswise) > sum(item.weight for item in in_place):
            in_place = crosswise
    if a.middle and b.middle:
        agree = any(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x in a.middle for y in b.middle)
        if agree:
            in_place.append(Evidence("name", W["middle_agrees"], MIDDLE_AGREES_TEXT))
        else:
            in_place.append(Evidence("name", W["middle_differs"], MIDDLE_DIFFERS_TEXT))
    return in_place


def _birthday(a: Person, b: Person) -> list[Evidence]:
    if a.birthday is None or b.birthday is None:
        return []
    if a.birthday == b.birthday:
        return [Evidence("birthday", W["birthday_same"], BIRTHDAY_SAME_TEXT)]
    x, y = a.birthday, b.birthday
    if (x.year, x.month, x.day) == (y.year, y.day, y.month):
        return [Evidence("birthday", W["birthday_swapped"], BIRTHDAY_SWAPPED_TEXT)]
    return [Evidence("birthday", W["birthday_different"], BIRTHDAY_DIFFERENT_TEXT)]


def _emails(a: Person, b: Person) -> list[Evidence]:
    if not a.emails or not b.emails:
        return []
    shared = a.emails & b.emails
    if shared:
        return [Evidence("email", W["email_same"], EMAIL_SAME_TEXT, (("email", min(shared)),))]
    shared = a.mailboxes & b.mailboxes
    if shared:
        return [Evidence("email", W["email_same_mailbox"], EMAIL_SAME_MAILBOX_TEXT, (("email", min(shared)),))]
    return [Evidence("email", W["email_none_shared"], EMAIL_NONE_SHARED_TEXT)]


def _phones(a: Person, b: Person) -> list[Evidence]:
    if not a.phones or not b.phones:
        return []
    shared = a.phones.keys() & b.phones.keys()
    if not shared:
        return [Evidence("phone", W["phone_none_shared"], PHONE_NONE_SHARED_TEXT)]
    mobile = [n for n in sorted(shared) if a.phones[n] in MOBILE_KINDS and b.phones[n] in MOBILE_KINDS]
    if mobile:
        return [Evidence("phone", W["mobile_same"], MOBILE_SAME_TEXT, (("number", mobile[0]),))]
    return [Evidence("phone", W["phone_same"], PHONE_SAME_TEXT, (("number", min(shared)),))]


def compare(a: Person, b: Person) -> Comparison:
    """How likely ``a`` and ``b`` are the same person, and why (see the module docstring)."""
    evidence = (*_names(a, b), *_birthday(a, b), *_emails(a, b), *_phones(a, b))
    total = sum(item.weight for item in evidence) - OFFSET
    return Comparison(score=1.0 / (1.0 + math.exp(-total)), evidence=evidence)
