"""Finding likely duplicate contacts: ``find_duplicate_contacts``; "Not duplicates".

Scored matching (the default)
-----------------------------

Every contact stores blocking keys (``AbstractContact.match_*``, computed by
``normalize.match_keys`` on save): sounds of its names and its birthday, each indexed
with its customer. Candidate pairs are the contacts of one customer sharing a blocking
key, an email address (``ContactEmail.email_normalized``) or a phone number (E.164) —
counted in the database by customer over the indexed columns, never by pairing all
contacts of a customer. A key shared by more than :data:`MAX_BLOCK` contacts of one
customer (a switchboard number, a placeholder birthday) doesn't say who is who, and
pairs no one.

Each candidate pair is compared (``matching.compare``): a score from 0 to 1 and the
evidence. Pairs scoring at least ``min_score`` are linked, strongest first, into
groups; two groups are never joined when a contact of one clearly isn't a contact of
the other (a score under :data:`CONFLICT_SCORE`: different birthdays, different given
names) or staff said so (:func:`dismiss_duplicates`). So a family sharing a surname and
a landline stays apart even when one of them has a duplicate that resembles both.

Exact matching
--------------

``exact=True`` (or ``DUPLICATE_MATCHING = "exact"``) links, as before, contacts of one
customer sharing an email address, a phone number or a full name (``name_key``), and a
group is everything linked, also through other contacts. It runs on the same indexed
keys: the database finds who shares which key, the groups are joined in memory in one
pass over them, without pairs.

Both read the contacts' names and keys with a few queries whatever their number; the
model instances (:attr:`DuplicateGroup.contacts`) are read only when asked for, for all
groups at once.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F
from django.db.models.functions import Cast
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE
from django.utils.translation import gettext as _

from . import get_contact_model, get_customer_model
from .conf import app_settings
from .duplicate_store import Found, forget_answers, note_customers, refreshing
from .history import history_user
from .locking import chunked, filter_by_keys, lock_contacts, lock_customers
from .matching import Comparison, Person, compare, score
from .models import MATCH_KEY_FIELDS, ContactEmail, ContactPhone, DuplicateDismissal, join_names, titled_name
from .normalize import email_key, parse_pk

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import AbstractContact

__all__ = [
    "CONFLICT_SCORE",
    "MAX_BLOCK",
    "REASONS",
    "DuplicateGroup",
    "DuplicateLink",
    "dismiss_duplicates",
    "find_duplicate_contacts",
    "find_matches",
    "prefetch_people",
    "reason_label",
    "rebuild_match_keys",
    "undo_dismissal",
]

#: What can link two contacts.
REASONS = frozenset({"email", "phone", "name", "birthday"})

#: A key more contacts of one customer share pairs none of them (scored matching).
MAX_BLOCK = 100

#: The blocking keys made of names (the birthday is the other).
NAME_KEYS = frozenset(MATCH_KEY_FIELDS) - {"match_birthday"}

#: Two contacts scoring less are taken to be different people: never in one group.
CONFLICT_SCORE = 0.05

# Groups joined only after every pair across them was checked for a conflict; past this
# many pairs, only the pairs already compared and the dismissals are checked.
_MAX_CONFLICT_CHECKS = 2500


class DuplicateLink:
    """Two contacts of a group, how likely they are one person (``score``) and why
    (``reasons``, ``explanation``, ``comparison``: worked out when first asked for)."""

    def __init__(
        self,
        first_id: Any,
        second_id: Any,
        score: float,
        people: tuple[Person, Person] | None,
        *,
        reasons: frozenset[str] | None = None,
        loader: _Loader | None = None,
    ) -> None:
        self.first_id, self.second_id, self.score = first_id, second_id, score
        self._people, self._reasons, self._loader = people, reasons, loader

    def __repr__(self) -> str:
        return f"<DuplicateLink {self.first_id} ~ {self.second_id}: {self.score:.2f}>"

    @functools.cached_property
    def comparison(self) -> Comparison:
        people = self._people
        if people is None:  # a stored answer: the two read now (with their group's, see prefetch_people)
            assert self._loader is not None
            persons = self._loader.people([self.first_id, self.second_id])
            people = (persons[self.first_id], persons[self.second_id])
        return compare(*people)

    @property
    def reasons(self) -> frozenset[str]:
        """What speaks for one person: a subset of :data:`REASONS`."""
        if self._reasons is None:
            self._reasons = self.comparison.reasons
        return self._reasons

    @property
    def explanation(self) -> str:
        """The evidence in words: ``"same birthday; first names bob and robert: nickname"``."""
        return self.comparison.explain()


class _Loader:
    """Reads, on first use, what the groups of one search show: names, then instances;
    for a stored answer, what comparing two contacts needs (``people``)."""

    def __init__(
        self,
        queryset: models.QuerySet[AbstractContact],
        records: _Records | None,
        rows: dict[Any, tuple[str, str, str, str]] | None = None,
    ) -> None:
        self.queryset = queryset
        self.pks: list[Any] = []
        #: By pk, the values the names are made of, when read already (or stored).
        self.rows = records.rows if records is not None else rows
        self._names: dict[Any, str] | None = None
        self._contacts: dict[Any, AbstractContact] | None = None
        #: By pk, the values too many contacts of its customer share to count (see _records).
        self.common: dict[Any, set[tuple[str, Any]]] = {}
        self._persons: dict[Any, Person] = {} if records is None else records.persons
        self._wanted: set[Any] = set()

    def names(self) -> dict[Any, str]:
        if self._names is None:
            name = _Namer(self.queryset.model)
            rows = self.rows
            if rows is not None:
                self._names = {pk: name(*rows[pk]) for pk in self.pks}
            else:
                values = _values_by_pk(self.queryset, self.pks, ["pk", *_NAME_COLUMNS])
                self._names = {pk: name(*row) for pk, *row in values}
        return self._names

    def contacts(self) -> dict[Any, AbstractContact]:
        if self._contacts is None:
            self._contacts = _contacts_by_pk(self.queryset, self.pks)
        return self._contacts

    def want(self, pks: Iterable[Any]) -> None:
        """Read these contacts' records too, the next time any are read."""
        self._wanted.update(pk for pk in pks if pk not in self._persons)

    def people(self, pks: Sequence[Any]) -> dict[Any, Person]:
        """What comparing needs of ``pks``: read with the contacts wanted (a page's,
        see :func:`prefetch_people`), or with every contact of the search."""
        missing = [pk for pk in pks if pk not in self._persons]
        if missing:
            wanted = sorted({*missing, *(self._wanted or (pk for pk in self.pks if pk not in self._persons))})
            self._persons.update(_records(self.queryset, wanted, self.common).persons)
            self._wanted.clear()
        return self._persons


def prefetch_people(groups: Iterable[DuplicateGroup]) -> None:
    """Read what explaining these groups' links needs in one go (a page of them), rather
    than per group as each is explained. Free for groups found just now."""
    for group in groups:
        group._loader.want(group.contact_ids)


class DuplicateGroup:
    """Contacts of one customer that are likely the same person.

    ``contact_ids`` in pk order; ``contacts``, the instances in that order, read on first
    use (for every group of the search at once, from the queryset searched, so its
    ``select_related()`` and ``prefetch_related()`` apply); ``names``, each contact's
    display name by pk. ``reasons`` says what links them: a subset of :data:`REASONS`.
    ``links`` are the pairs that hold the group together, each with its score and
    evidence; ``score`` is the weakest of them (1.0 for exact matching).
    """

    def __init__(
        self,
        contact_ids: tuple[Any, ...],
        customer_id: Any,
        reasons: frozenset[str] | None,
        links: tuple[DuplicateLink, ...],
        loader: _Loader,
    ) -> None:
        self.contact_ids, self.customer_id, self.links = contact_ids, customer_id, links
        self._reasons, self._loader = reasons, loader

    def __repr__(self) -> str:
        return f"<DuplicateGroup {self.contact_ids}: {self.score:.2f}>"

    @property
    def reasons(self) -> frozenset[str]:
        if self._reasons is None:
            self._reasons = frozenset().union(*(link.reasons for link in self.links))
        return self._reasons

    @property
    def contacts(self) -> list[AbstractContact]:
        found = self._loader.contacts()
        return [found[pk] for pk in self.contact_ids if pk in found]

    @property
    def names(self) -> dict[Any, str]:
        names = self._loader.names()
        return {pk: names.get(pk, "") for pk in self.contact_ids}

    @property
    def score(self) -> float:
        return min((link.score for link in self.links), default=1.0)

    @property
    def explanation(self) -> str:
        """Each link in words: ``"Bob Smith and Robert Smith: same birthday; …"``."""
        names = self._loader.names()
        return "\n".join(
            _("%(first)s and %(second)s (%(score)d%%): %(why)s")
            % {
                "first": names.get(link.first_id, link.first_id),
                "second": names.get(link.second_id, link.second_id),
                "score": round(link.score * 100),
                "why": link.explanation,
            }
            for link in self.links
        )

    def __iter__(self) -> Iterator[AbstractContact]:
        return iter(self.contacts)

    def __len__(self) -> int:
        return len(self.contact_ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DuplicateGroup):
            return NotImplemented
        return (self.contact_ids, self.reasons) == (other.contact_ids, other.reasons)

    def __hash__(self) -> int:
        return hash(self.contact_ids)


def find_duplicate_contacts(
    queryset: models.QuerySet[AbstractContact] | None = None,
    *,
    min_score: float | None = None,
    exact: bool | None = None,
    customer: Any = None,
) -> list[DuplicateGroup]:
    """Groups of likely duplicate contacts, within each customer (see the module docstring).

    ``queryset`` limits the search to some contacts (the active ones, say); by default
    every regular contact takes part (one-time contacts are left out). ``customer`` (a
    customer or its pk) is one customer's regular contacts. ``min_score`` is the score
    a pair needs to be linked (default: ``DUPLICATE_MIN_SCORE``); ``exact`` chooses
    exact matching (default: ``DUPLICATE_MATCHING == "exact"``). Groups are ordered by
    their first contact's pk.

    The scored search of all regular contacts or of one customer's, with the default
    ``min_score``, keeps each customer's answer until its contacts change
    (``duplicate_store``): a search reads the stored groups and finds again only the
    changed customers' ones.
    """
    model = get_contact_model()
    customer_id = getattr(customer, "pk", customer)
    if customer_id is not None:  # "5" from a URL is the customer 5
        customer_id = parse_pk(get_customer_model(), customer_id, queryset.db if queryset is not None else None)
    if exact is None:
        exact = app_settings.duplicate_matching == "exact"
    default_score = min_score is None or min_score == app_settings.duplicate_min_score
    if min_score is None:
        min_score = app_settings.duplicate_min_score
    if queryset is None:
        # One-time contacts exist for one case each: not duplicates of the regular ones.
        queryset = model._default_manager.regular()
        if customer_id is not None:
            queryset = queryset.filter(customer_id=customer_id)
        if not exact and default_score:
            with _collector_paused():
                return _stored_groups(queryset, customer_id, min_score)
    elif customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    with _collector_paused():
        if exact:
            return _exact_groups(queryset)
        return _scored_groups(queryset, min_score)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (if it runs) for the search.

    A search holds hundreds of thousands of rows, keys and tuples at once, none in a
    cycle, and each full collection walks all of them again: with the collector
    running, a third of a search over 100,000 contacts went to it. What the search
    leaves behind is freed by reference counting; cycles made meanwhile elsewhere in
    the process wait for the next collection after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def find_matches(
    contact: AbstractContact, *, min_score: float | None = None, limit: int = 5
) -> list[tuple[AbstractContact, Comparison]]:
    """The saved contacts of ``contact``'s customer that ``contact`` (saved or not) likely
    duplicates, best first, at most ``limit``: what the contact forms warn about.

    Candidates share a blocking key, an email address or a phone number of ``contact``
    (its emails and phones as saved; a form passes the ones typed in
    ``contact._typed_points``: ``(emails, [(e164, kind), …])``). Pairs staff dismissed
    are left out. A few queries, whatever the number of contacts.
    """
    model = type(contact)
    if min_score is None:
        min_score = app_settings.duplicate_min_score
    if contact.customer_id is None:
        return []
    contact.set_match_keys()
    typed: tuple[list[str], list[tuple[str, str]]] | None = getattr(contact, "_typed_points", None)
    if typed is not None:
        emails, phones = typed
    elif contact.pk is not None:
        emails = list(
            ContactEmail._default_manager.filter(contact_id=contact.pk).values_list("email_normalized", flat=True)
        )
        phones = [
            (str(n), k)
            for n, k in ContactPhone._default_manager.filter(contact_id=contact.pk).values_list("number", "kind")
        ]
    else:
        emails, phones = [], []
    others = model._default_manager.regular().filter(customer_id=contact.customer_id)
    if contact.pk is not None:
        others = others.exclude(pk=contact.pk)
    keys = models.Q()
    birthday = contact.match_birthday
    for name in MATCH_KEY_FIELDS:
        value = getattr(contact, name)
        if value:
            keys |= models.Q(**{name: value})
    if birthday:
        # As find_duplicate_contacts() pairs them: names alike, birthdays not different.
        keys &= models.Q(match_birthday="") | models.Q(match_birthday=birthday)
    if emails:
        addresses = [email_key(address) for address in emails]
        keys |= models.Q(
            pk__in=ContactEmail._default_manager.filter(email_normalized__in=addresses).values("contact_id")
        )
    if phones:
        keys |= models.Q(
            pk__in=ContactPhone._default_manager.filter(number__in=[n for n, _k in phones]).values("contact_id")
        )
    if not keys:
        return []
    candidates = list(others.filter(keys).order_by("pk")[: MAX_BLOCK * 2])
    if not candidates:
        return []
    records = _records(model._default_manager.all(), [c.pk for c in candidates]).persons
    me = Person.build(
        contact.pk, contact.first_name, contact.middle_name, contact.last_name, contact.birthday, emails, phones
    )
    dismissed = _dismissed([contact.pk, *(c.pk for c in candidates)]) if contact.pk is not None else set()
    found = []
    for candidate in candidates:
        if DuplicateDismissal.pair_key(contact.pk, candidate.pk) in dismissed:
            continue
        comparison = compare(me, records[candidate.pk])
        if comparison.score >= min_score:
            found.append((candidate, comparison))
    found.sort(key=lambda pair: (-pair[1].score, pair[0].pk))
    return found[:limit]


def rebuild_match_keys(queryset: models.QuerySet[AbstractContact] | None = None, *, batch_size: int = 1000) -> int:
    """Compute the blocking keys of these contacts (default: all) again; return how many changed.

    ``save()`` keeps them up to date; rows written around it — ``bulk_create()``,
    ``update()``, an import in SQL, a host's own contact model's existing rows — need
    this (``manage.py rebuild_match_keys``). Works in batches of ``batch_size``
    contacts, each in a transaction that locks the batch's customers, then its contacts,
    in pk order, and computes the keys from the rows as read under the locks. The
    batches' customers' stored duplicate groups are found again by the next search;
    without a ``queryset``, every customer's (those whose contacts were all deleted in
    SQL too).
    """
    model = get_contact_model()
    everyone = queryset is None
    if queryset is None:
        queryset = model._base_manager.all()
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    using = queryset.db
    if everyone:
        forget_answers(using)
    changed = 0
    for batch in chunked(pks, batch_size):
        with transaction.atomic(using=using):
            customers = set(model._base_manager.using(using).filter(pk__in=batch).values_list("customer_id", flat=True))
            lock_customers(customers, using)
            contacts = lock_contacts(batch, using)
            stale = []
            for contact in contacts.values():
                before = [getattr(contact, name) for name in MATCH_KEY_FIELDS]
                contact.set_match_keys()
                if [getattr(contact, name) for name in MATCH_KEY_FIELDS] != before:
                    stale.append(contact)
            model._base_manager.using(using).bulk_update(stale, MATCH_KEY_FIELDS)
            # Rows written around save() may have changed more than the keys: each
            # customer's stored duplicates are found again.
            note_customers(customers, using)
            changed += len(stale)
    return changed


# -- "Not duplicates" ------------------------------------------------------------------


def dismiss_duplicates(
    contacts: Sequence[AbstractContact | Any], *, user: AbstractBaseUser | None = None
) -> list[DuplicateDismissal]:
    """Say that ``contacts`` (instances or pks) are different people: every pair of them.

    Duplicate detection never groups such a pair again. Returns the dismissals made
    (pairs dismissed before are left as they were). Each is kept in history with
    ``user``; :func:`undo_dismissal` takes one back. Locks nothing: it writes rows of
    its own, one per pair, and a pair dismissed twice at once is one row (the unique
    constraint; the second writer gets the first's).
    """
    pks = sorted({str(getattr(c, "pk", c)) for c in contacts})
    made: list[DuplicateDismissal] = []
    who = history_user(user)
    manager = DuplicateDismissal._default_manager
    for first, second in itertools.combinations(pks, 2):
        if manager.filter(first_contact_id=first, second_contact_id=second).exists():
            continue
        dismissal = DuplicateDismissal(first_contact_id=first, second_contact_id=second, user=who)  # type: ignore[misc]
        dismissal._history_user = who  # type: ignore[attr-defined]  # read by simple-history
        try:
            with transaction.atomic(using=manager.db):
                dismissal.save()
        except IntegrityError:  # dismissed at the same time by someone else
            continue
        made.append(dismissal)
    return made


def undo_dismissal(dismissal: DuplicateDismissal, *, user: AbstractBaseUser | None = None) -> None:
    """Take a "Not duplicates" back: the pair may be grouped again. Kept in history with ``user``."""
    dismissal._history_user = history_user(user)  # type: ignore[attr-defined]  # read by simple-history
    dismissal.delete()


def _dismissed(pks: Iterable[Any]) -> set[tuple[str, str]]:
    """The dismissed pairs among ``pks``: one query, whatever their number (staff
    dismiss pairs one by one: the table stays small)."""
    keys = {str(pk) for pk in pks}
    return {
        (first, second)
        for first, second in DuplicateDismissal._default_manager.values_list("first_contact_id", "second_contact_id")
        if first in keys and second in keys
    }


# -- scored matching ---------------------------------------------------------------------


def _scored_groups(queryset: models.QuerySet[AbstractContact], min_score: float) -> list[DuplicateGroup]:
    blocks = _blocks(queryset, MATCH_KEY_FIELDS, pairing=NAME_KEYS)
    # A birthday too many contacts of a customer share is a placeholder: as good as
    # none, so their name keys pair them too (asked for again; seldom needed).
    placeholders = [
        (customer, key)
        for (kind, customer, key), holders in blocks.items()
        if kind == "match_birthday" and len(holders) > MAX_BLOCK
    ]
    if placeholders:
        blocks = _blocks(queryset, MATCH_KEY_FIELDS, pairing=NAME_KEYS, unborn=placeholders)
    pairs: set[tuple[Any, Any]] = set()
    # A value too many contacts of a customer share (a placeholder birthday, a
    # switchboard number) pairs no one, and is no evidence when they are compared.
    common: dict[Any, set[tuple[str, Any]]] = defaultdict(set)
    unborn = blocks.unborn
    for (kind, _customer, key), holders in blocks.items():
        size = len(holders)
        if size == 2:  # most blocks: one pair
            a, b = holders
            pairs.add((a, b) if a < b else (b, a))
        elif size <= MAX_BLOCK:
            if kind in NAME_KEYS:
                # Two contacts with different birthdays are not one person, but for an
                # address or a number in common (their own blocks); two with the same
                # birthday share its block. A name key pairs a contact without a
                # birthday (or with a placeholder, see above) with the others.
                alone = sorted(pk for pk in holders if pk in unborn)
                pairs.update(itertools.combinations(alone, 2))
                pairs.update((a, b) if a < b else (b, a) for a in alone for b in holders if b not in unborn)
            else:
                pairs.update(itertools.combinations(sorted(holders), 2))
        elif kind in ("match_birthday", "email", "phone"):
            for pk in holders:
                common[pk].add((kind, key))
    if not pairs:
        return []
    pks = sorted({pk for pair in pairs for pk in pair})
    found = _records(queryset, pks, common)
    records = found.persons
    dismissed = _dismissed(pks)
    # Scores alone for every candidate pair; the evidence in words only for the links.
    scores: dict[tuple[Any, Any], float] = {}
    for a, b in pairs:
        if a in records and b in records and not (dismissed and DuplicateDismissal.pair_key(a, b) in dismissed):
            scores[a, b] = score(records[a], records[b])

    def conflict(a: Any, b: Any, check: bool) -> bool:
        pair = (a, b) if a < b else (b, a)
        if dismissed and DuplicateDismissal.pair_key(a, b) in dismissed:
            return True
        found = scores.get(pair)
        if found is None:
            if not check:
                return False
            found = scores[pair] = score(records[pair[0]], records[pair[1]])
        return found < CONFLICT_SCORE

    # Kruskal's order: the surest links first, each joining two groups unless a contact
    # of one conflicts with a contact of the other.
    root: dict[Any, Any] = {}
    members: dict[Any, list[Any]] = {}
    linked: dict[Any, list[tuple[Any, Any]]] = {}

    def find(pk: Any) -> Any:
        while root.get(pk, pk) != pk:
            pk = root[pk]
        return pk

    strong = sorted(
        ((value, pair) for pair, value in scores.items() if value >= min_score), key=lambda item: (-item[0], item[1])
    )
    for _score, (a, b) in strong:
        ra, rb = find(a), find(b)
        if ra == rb:
            linked[ra].append((a, b))
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        check = len(ma) * len(mb) <= _MAX_CONFLICT_CHECKS
        if any(conflict(x, y, check) for x in ma for y in mb):
            continue
        new, old = (ra, rb) if ra < rb else (rb, ra)
        root[old] = new
        members[new] = ma + mb
        members.pop(old, None)
        linked[new] = [*linked.pop(ra, []), *linked.pop(rb, []), (a, b)]
    loader = _Loader(queryset, found)
    loader.common = common
    groups = []
    for top, ids in members.items():
        links = tuple(DuplicateLink(a, b, scores[a, b], (records[a], records[b])) for a, b in sorted(linked[top]))
        groups.append(DuplicateGroup(tuple(sorted(ids)), found.customers[top], None, links, loader))
    loader.pks = [pk for group in groups for pk in group.contact_ids]
    return sorted(groups, key=lambda group: group.contact_ids[0])


#: Past this many customers to find again, the search covers all of them at once.
_WHOLE_SEARCH = 500


def _stored_groups(
    contacts: models.QuerySet[AbstractContact], customer_id: Any, min_score: float
) -> list[DuplicateGroup]:
    """The scored search of ``contacts`` (every regular contact, or ``customer_id``'s),
    through the stored answers (``duplicate_store``): the changed customers' groups
    found again with :func:`_scored_groups`, the others read back."""
    using = contacts.db
    with refreshing(customer_id, min_score, using) as answers:
        if answers.stale:
            scope = contacts
            stale = sorted(answers.stale, key=str)
            if customer_id is None and len(stale) <= _WHOLE_SEARCH:
                parts = list(filter_by_keys(contacts, "customer_id", stale))
                scope = parts[0] if len(parts) == 1 else contacts
            by_customer: dict[Any, list[DuplicateGroup]] = defaultdict(list)
            for group in _scored_groups(scope, min_score):
                if group.customer_id in answers.stale:
                    by_customer[group.customer_id].append(group)
            for customer, found in by_customer.items():
                # The search read the names and the too-common values of its candidates.
                common, names = found[0]._loader.common, cast("dict[Any, Any]", found[0]._loader.rows)
                members = [pk for group in found for pk in group.contact_ids]
                answers.add(
                    Found(
                        customer,
                        [
                            [(link.first_id, link.second_id, link.score, link.reasons) for link in group.links]
                            for group in found
                        ],
                        {pk: names[pk] for pk in members},
                        {pk: common[pk] for pk in members if pk in common},
                    )
                )
    rows: dict[Any, tuple[str, str, str, str]] = {}
    loader = _Loader(contacts.model._default_manager.using(using).regular(), None, rows)
    groups = []
    for customer, stored, names, common in answers.customers():
        rows.update(names)
        loader.common.update(common)
        for links in stored:
            ids: set[Any] = set()
            reasons: set[str] = set()
            made = []
            for first, second, value, why in links:
                ids.update((first, second))
                reasons.update(why)
                made.append(DuplicateLink(first, second, value, None, reasons=why, loader=loader))
            groups.append(DuplicateGroup(tuple(sorted(ids)), customer, frozenset(reasons), tuple(made), loader))
    loader.pks = [pk for group in groups for pk in group.contact_ids]
    return sorted(groups, key=lambda group: group.contact_ids[0])


# -- exact matching ------------------------------------------------------------------------


def _exact_groups(queryset: models.QuerySet[AbstractContact]) -> list[DuplicateGroup]:
    blocks = _blocks(queryset, ("name_key",))
    root: dict[Any, Any] = {}
    reasons: dict[Any, set[str]] = {}

    def find(pk: Any) -> Any:
        while root.get(pk, pk) != pk:
            pk = root[pk]
        return pk

    customers: dict[Any, Any] = {}
    for (kind, customer_id, _key), holders in blocks.items():
        if len(holders) < 2:
            continue
        top = find(min(holders))
        for pk in holders:
            customers[pk] = customer_id
            other = find(pk)
            if other != top:
                new, old = (top, other) if top < other else (other, top)
                root[old] = new
                reasons.setdefault(new, set()).update(reasons.pop(old, ()))
                top = new
        reasons.setdefault(top, set()).add("name" if kind == "name_key" else kind)
    components: dict[Any, list[Any]] = defaultdict(list)
    for pk in customers:
        components[find(pk)].append(pk)
    dismissed = _dismissed(customers)
    loader = _Loader(queryset, None)
    groups = []
    for top, ids in components.items():
        ids.sort()
        if dismissed and all(DuplicateDismissal.pair_key(a, b) in dismissed for a, b in itertools.combinations(ids, 2)):
            continue
        groups.append(DuplicateGroup(tuple(ids), customers[top], frozenset(reasons[top]), (), loader))
    loader.pks = [pk for group in groups for pk in group.contact_ids]
    return sorted(groups, key=lambda group: group.contact_ids[0])


# -- the database work ---------------------------------------------------------------------


def _blocks(
    queryset: models.QuerySet[AbstractContact],
    key_fields: Sequence[str],
    *,
    pairing: Collection[str] = (),
    unborn: Iterable[tuple[Any, str]] = (),
) -> _Blocks:
    """Who shares which key: ``(kind, customer pk, key) -> contact pks``, in one query.

    ``kind`` is a key field of the contact, ``"email"`` or ``"phone"``; only keys that
    more than one contact of a customer holds. Each is counted by customer and key with
    ``GROUP BY … HAVING COUNT(*) > 1``, its holders joined into one text
    (``string_agg``, ``GROUP_CONCAT``): a row per key shared, not per holder, and no
    window function (MariaDB writes every row of a window to a temporary table: two to
    three times the time of grouping).

    ``pairing``: key fields whose keys only matter when a contact that holds one has no
    birthday (a name key: two contacts with birthdays are paired by their birthday's
    key): only those keys come back, with those contacts in ``blocks.unborn``.
    ``unborn``: ``(customer pk, birthday key)`` pairs to take for no birthday too.
    """
    using = queryset.db
    connection = connections[using]
    quote = connection.ops.quote_name
    scope = queryset.order_by()
    pk_field = queryset.model._meta.pk
    # Holders are joined by commas: neither integers nor UUIDs have one.
    separator = "," if isinstance(pk_field, models.IntegerField | models.AutoField | models.UUIDField) else "\x1f"
    concat = functools.partial(_concat, connection.vendor, separator)
    binary = "CAST({} AS BINARY)" if connection.vendor == "mysql" else "{}"  # not by collation
    parts: list[str] = []
    params: list[Any] = []
    kinds: list[str] = []  # the kind of key each part of the query answers, by its number
    unborn = list(unborn)
    customer_field = queryset.model._meta.get_field("customer").target_field

    def add(kind: str, template: str, part_sql: models.QuerySet[Any], around: Sequence[Any] = ()) -> None:
        """``around``: the parameters of the select list's and the ``HAVING``'s condition."""
        sql, part_params = part_sql.query.get_compiler(using).as_sql()
        parts.append(template.format(sql, number=len(kinds)))
        params.extend((*around, *part_params, *around))
        kinds.append(kind)

    try:
        for name in key_fields:
            members = scope.exclude(**{name: ""}).values(
                m_pk=F("pk"), m_customer=F("customer_id"), m_key=F(name), m_birthday=F("match_birthday")
            )
            having, unborn_holders, around = "", "NULL", []
            if name in pairing:
                # A contact without a birthday (or with one too many share, ``unborn``).
                condition = " OR ".join(
                    ["m.m_birthday = ''", *["(m.m_customer = %s AND m.m_birthday = %s)"] * len(unborn)]
                )
                unborn_holders = concat(f"CASE WHEN {condition} THEN m.m_pk END")
                having = f" AND SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) > 0"
                around = [
                    value
                    for customer, key in unborn
                    for value in (customer_field.get_db_prep_value(customer, connection), key)
                ]
            add(
                name,
                f"SELECT {{number}}, m.m_customer, MIN(m.m_key), {concat('m.m_pk')}, {unborn_holders} "
                f"FROM ({{0}}) m GROUP BY m.m_customer, {binary.format('m.m_key')} HAVING COUNT(*) > 1{having}",
                members,
                around,
            )
        contacts = scope.values(s_pk=F("pk"), s_customer=F("customer_id"))
        for kind, model, column in (("email", ContactEmail, "email_normalized"), ("phone", ContactPhone, "number")):
            table = quote(model._meta.db_table)
            key = quote(cast(str, cast("models.Field[Any, Any]", model._meta.get_field(column)).column))
            contact_id = quote(cast(str, cast("models.Field[Any, Any]", model._meta.get_field("contact")).column))
            # Addresses and numbers another contact of the same customer holds.
            add(
                kind,
                f"SELECT {{number}}, s.s_customer, MIN(p.{key}), {concat(f'p.{contact_id}')}, NULL "
                f"FROM {table} p JOIN ({{0}}) s ON s.s_pk = p.{contact_id} WHERE p.{key} <> '' "
                f"GROUP BY s.s_customer, {binary.format(f'p.{key}')} HAVING COUNT(*) > 1",
                contacts,
            )
    except EmptyResultSet:  # queryset.none()
        return _Blocks()
    if not parts:
        return _Blocks()
    sql = " UNION ALL ".join(parts)
    if connection.vendor == "mysql":
        # Room for a key's holders, whatever the server's default (MySQL's is 1,024 bytes).
        if connection.mysql_is_mariadb:  # type: ignore[attr-defined]
            sql = f"SET STATEMENT group_concat_max_len = 1073741824 FOR {sql}"
        else:
            sql = sql.replace("SELECT", "SELECT /*+ SET_VAR(group_concat_max_len = 1073741824) */", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    blocks = _Blocks()
    to_customer = _converter(customer_field) or _same
    holders_of = _splitter(pk_field, separator)
    for number, customer_id, key, holders, unborn_holders in rows:
        blocks[kinds[number], to_customer(customer_id), key] = holders_of(holders)
        if unborn_holders:
            blocks.unborn.update(holders_of(unborn_holders))
    return blocks


def _concat(vendor: str, separator: str, expression: str) -> str:
    """SQL joining ``expression``'s values of a group into one text (``NULL`` ones left out)."""
    if vendor == "postgresql":
        return f"STRING_AGG(CAST({expression} AS text), '{separator}')"
    if vendor == "mysql":
        return f"GROUP_CONCAT({expression} SEPARATOR '{separator}')"
    return f"GROUP_CONCAT({expression}, '{separator}')"


def _splitter(pk_field: Any, separator: str) -> Any:
    """A function from a joined text of pks (:func:`_concat`) to the list of them."""
    if isinstance(pk_field, models.IntegerField | models.AutoField):
        return lambda text: list(map(int, text.split(separator)))
    to_pk = pk_field.to_python
    return lambda text: [to_pk(value) for value in text.split(separator)]


def _converter(model_field: Any) -> Any:
    """``model_field.to_python``, or ``None`` for integer keys: the drivers give ints."""
    if isinstance(model_field, models.IntegerField | models.AutoField):
        return None
    return model_field.to_python


def _same(value: Any) -> Any:
    return value


class _Blocks(dict[tuple[str, Any, Any], list[Any]]):
    """``_blocks()``' answer: ``(kind, customer pk, key) -> contact pks``; ``unborn``,
    the contacts without a birthday in the blocks of its ``pairing`` keys."""

    def __init__(self) -> None:
        super().__init__()
        self.unborn: set[Any] = set()


@dataclass(frozen=True)
class _Records:
    """What the scored search read of the candidates, by pk: what comparing needs, the
    customer, and the values their names are made of (made into names only for the
    contacts that end up in a group)."""

    persons: dict[Any, Person]
    customers: dict[Any, Any]
    #: ``(title, first_name, middle_name, last_name)``
    rows: dict[Any, tuple[str, str, str, str]]


_NAME_COLUMNS = ["title", "first_name", "middle_name", "last_name"]


def _records(
    queryset: models.QuerySet[AbstractContact], pks: list[Any], common: dict[Any, set[tuple[str, Any]]] | None = None
) -> _Records:
    """What comparing needs of these contacts, by pk: three queries.

    ``common``: by pk, the ``(kind, key)`` values too many contacts share to count.
    """
    common = common or {}
    rows = _values_by_pk(queryset, pks, ["pk", "customer_id", *_NAME_COLUMNS, "birthday"])
    emails: dict[Any, list[str]] = defaultdict(list)
    for contact_id, address in _points(ContactEmail, queryset.db, pks, ["contact_id", "email_normalized"]):
        emails[contact_id].append(address)
    phones: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    # The number as stored (E.164 text): no PhoneNumber parsed per row.
    for contact_id, number, kind in _points(ContactPhone, queryset.db, pks, ["contact_id", "e164", "kind"]):
        phones[contact_id].append((number, kind))
    found = _Records({}, {}, {})
    persons, customers, names = found.persons, found.customers, found.rows
    build = Person.build
    no_points: tuple[Any, ...] = ()
    for pk, customer_id, title, first_name, middle_name, last_name, birthday in rows:
        addresses, numbers = emails.get(pk, no_points), phones.get(pk, no_points)
        ignored = common.get(pk)
        if ignored:
            if any(kind == "match_birthday" for kind, _key in ignored):
                birthday = None
            addresses = [address for address in addresses if ("email", address) not in ignored]
            numbers = [(number, kind) for number, kind in numbers if ("phone", number) not in ignored]
        persons[pk] = build(pk, first_name, middle_name, last_name, birthday, addresses, numbers, normalized=True)
        customers[pk] = customer_id
        names[pk] = (title, first_name, middle_name, last_name)
    return found


class _Namer:
    """``display_name`` from the values of a contact's names, the model's own rule,
    without an instance per contact (nor any, when the model keeps the app's rule)."""

    def __init__(self, model: type[models.Model]) -> None:
        from .models import AbstractContact

        self.shell = cast("AbstractContact", model())
        own = model.display_name is AbstractContact.display_name and model.full_name is AbstractContact.full_name  # type: ignore[attr-defined]
        titles = cast("models.Field[Any, Any]", model._meta.get_field("title"))
        # The app's rule, as AbstractContact.display_name spells it: the titles' labels
        # in the active language, read once.
        self.titles: dict[Any, str] | None = {value: str(label) for value, label in titles.flatchoices} if own else None

    def __call__(self, title: str, first_name: str, middle_name: str, last_name: str) -> str:
        titles = self.titles
        if titles is not None:
            label = titles.get(title, title) if title else ""
            return titled_name(label, join_names(first_name, middle_name, last_name))
        shell = self.shell
        shell.title, shell.first_name, shell.middle_name, shell.last_name = title, first_name, middle_name, last_name
        return shell.display_name


def _values_by_pk(
    queryset: models.QuerySet[AbstractContact], pks: Sequence[Any], names: list[str]
) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = []
    for part in filter_by_keys(queryset.order_by(), "pk", pks):
        rows.extend(_fetched(part.values_list(*names), len(pks)))
    return rows


def _points(model: type[models.Model], using: str, pks: Sequence[Any], names: list[str]) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = []
    points = model._default_manager.using(using).order_by()
    if "e164" in names:
        points = points.annotate(e164=Cast("number", output_field=models.CharField()))
    for part in filter_by_keys(points, "contact_id", pks):
        rows.extend(_fetched(part.values_list(*names), len(pks)))
    return rows


def _fetched(queryset: models.QuerySet[Any], expected: int) -> Iterator[Sequence[Any]]:
    """The rows of a ``values_list()``, read in one go rather than in the ORM's chunks of
    100 (a search reads tens of thousands), the backend's converters applied."""
    compiler = queryset.query.get_compiler(queryset.db)
    return cast("Iterator[Sequence[Any]]", compiler.results_iter(chunk_size=max(expected, GET_ITERATOR_CHUNK_SIZE)))


def _contacts_by_pk(queryset: models.QuerySet[AbstractContact], pks: Sequence[Any]) -> dict[Any, AbstractContact]:
    """The instances, from ``queryset`` (its ``select_related()`` and ``prefetch_related()`` apply)."""
    found: dict[Any, AbstractContact] = {}
    for part in filter_by_keys(queryset.order_by(), "pk", pks):
        found.update((contact.pk, contact) for contact in part)
    return found


def reason_label(reason: str) -> str:
    """One of :data:`REASONS` in words, in the active language."""
    labels = {"email": _("email"), "phone": _("phone"), "name": _("name"), "birthday": _("birthday")}
    return str(labels.get(reason, reason))
