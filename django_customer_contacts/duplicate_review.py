"""What the two "Possible duplicates" pages share: the admin's and the customer pages'.

Both list the groups ``find_duplicate_contacts()`` finds, most certain first, a page at a
time (:func:`groups_page`); both list the pairs dismissed as "Not duplicates" with Undo
(:func:`dismissed_page`); both undo the dismissal a POSTed ``undo`` names
(:func:`undo_posted`) and say what a dismissal did (:func:`dismissed_message`).
What differs is where links go (each page passes ``contact_url`` and ``merge_url``) and
which contacts a user may act on (each page passes its queryset).

Every list takes the same number of queries whatever the number of groups or pairs: the
search (a few queries, see ``duplicates``), and for the dismissed pairs one query for a
page of them and one for the names of their contacts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connections, models
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .duplicates import prefetch_people, reason_label
from .models import DuplicateDismissal
from .services import find_duplicate_contacts, undo_dismissal

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import AbstractContact

__all__ = [
    "PER_PAGE",
    "GroupsPage",
    "dismissals_of",
    "dismissed_message",
    "dismissed_page",
    "groups_page",
    "undo_posted",
]

#: Groups, or dismissed pairs, per page.
PER_PAGE = 25

#: A contact's page, by its pk.
ContactURL = Callable[[Any], str]


@dataclass(frozen=True)
class GroupsPage:
    """A page of groups: ``page`` (of ``DuplicateGroup``), ``rows`` (what a template
    shows of each) and ``count`` (groups on every page)."""

    page: Page  # type: ignore[type-arg]  # not generic at runtime
    rows: list[dict[str, Any]]
    count: int


def groups_page(
    customer: Any,
    number: Any,
    *,
    contact_url: ContactURL,
    merge_url: Callable[[Sequence[Any]], str],
    per_page: int = PER_PAGE,
) -> GroupsPage:
    """The groups among the regular contacts of ``customer`` (``None``: of every
    customer), surest first (then by first contact), page ``number``.

    Each row: ``group``; ``ids`` (the contact pks, comma-separated, what "Not duplicates"
    posts); ``reasons`` (in words); ``contacts`` (``(pk, name, url)``); ``links`` (each
    linked pair: ``first`` and ``second`` names, ``score`` in percent, ``explanation``);
    ``merge_url``. No model instances are read.
    """
    groups = sorted(find_duplicate_contacts(customer=customer), key=lambda group: (-group.score, group.contact_ids[0]))
    page = Paginator(groups, per_page).get_page(number)
    prefetch_people(page)  # the page's links explained: one read for all of them
    rows = []
    for group in page:
        names = group.names
        rows.append(
            {
                "group": group,
                "ids": ",".join(str(pk) for pk in group.contact_ids),
                "reasons": [reason_label(reason) for reason in sorted(group.reasons)],
                "contacts": [(pk, name, contact_url(pk)) for pk, name in names.items()],
                "links": [
                    {
                        "first": names.get(link.first_id, link.first_id),
                        "second": names.get(link.second_id, link.second_id),
                        "score": round(link.score * 100),
                        "explanation": link.explanation,
                    }
                    for link in group.links
                ],
                "merge_url": merge_url(group.contact_ids),
            }
        )
    return GroupsPage(page, rows, len(groups))


def dismissals_of(contacts: models.QuerySet[AbstractContact]) -> models.QuerySet[DuplicateDismissal]:
    """The dismissals naming one of ``contacts`` (one customer's, say), newest first.

    The pairs name their contacts by pk as text. For integer keys the database matches
    them against a subquery of the contacts (a customer of 20,000 contacts is no list of
    20,000 parameters): the contacts' keys as text — but on MySQL and MariaDB, where text
    made by a cast has the connection's collation, not the column's, and comparing the
    two is an error; there the stored text is read as a number (text that isn't one is
    0, with a warning, where PostgreSQL would fail). Other keys are read first.
    """
    dismissals = DuplicateDismissal._default_manager.select_related("user")
    keys = contacts.order_by()
    if not isinstance(contacts.model._meta.pk, models.IntegerField):
        texts = [str(pk) for pk in keys.values_list("pk", flat=True)]
        return dismissals.filter(models.Q(first_contact_id__in=texts) | models.Q(second_contact_id__in=texts))
    if connections[contacts.db].vendor == "mysql":
        number = models.BigIntegerField()
        pks = keys.values("pk")
        return dismissals.annotate(
            first_key=Cast("first_contact_id", number), second_key=Cast("second_contact_id", number)
        ).filter(models.Q(first_key__in=pks) | models.Q(second_key__in=pks))
    text = keys.annotate(pk_text=Cast("pk", models.CharField(max_length=64))).values("pk_text")
    return dismissals.filter(models.Q(first_contact_id__in=text) | models.Q(second_contact_id__in=text))


def dismissed_page(
    dismissals: models.QuerySet[DuplicateDismissal],
    contacts: models.QuerySet[AbstractContact],
    number: Any,
    *,
    contact_url: ContactURL,
    per_page: int = PER_PAGE,
) -> tuple[Page, list[dict[str, Any]]]:  # type: ignore[type-arg]  # not generic at runtime
    """Page ``number`` of ``dismissals`` and a row for each: ``dismissal`` and ``contacts``
    (``(name, url)`` each; a contact not among ``contacts`` — merged away, deleted — is
    named by its pk, without a link)."""
    page = Paginator(dismissals, per_page).get_page(number)
    ids = {pk for dismissal in page for pk in (dismissal.first_contact_id, dismissal.second_contact_id)}
    to_pk = contacts.model._meta.pk.to_python
    pks = []
    for pk in ids:
        try:
            pks.append(to_pk(pk))
        except ValidationError:  # not a key of this model: no contact of it
            continue
    known = {str(contact.pk): (str(contact), contact_url(contact.pk)) for contact in contacts.filter(pk__in=pks)}
    rows = [
        {
            "dismissal": dismissal,
            "contacts": [
                known.get(pk, (_("contact #%(pk)s (gone)") % {"pk": pk}, ""))
                for pk in (dismissal.first_contact_id, dismissal.second_contact_id)
            ],
        }
        for dismissal in page
    ]
    return page, rows


def undo_posted(
    raw: str, *, user: AbstractBaseUser | None, within: models.QuerySet[DuplicateDismissal] | None = None
) -> tuple[int, str]:
    """Undo the dismissal a POSTed ``undo`` names (its pk); the message level and text to
    show. One that is gone is a warning (undone already, in another tab, say).
    ``within``: the dismissals the page may undo; one that exists outside them is a 404
    and stays, as another customer's contact is on the customer pages."""
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        pk = None
    dismissal = None if pk is None else DuplicateDismissal._default_manager.filter(pk=pk).first()
    if dismissal is None:
        return messages.WARNING, _("That dismissal was undone already.")
    if within is not None and not within.filter(pk=dismissal.pk).exists():
        raise Http404(_("No such dismissal."))
    undo_dismissal(dismissal, user=user)
    return messages.SUCCESS, _("Undone: the contacts may show up as possible duplicates again.")


def dismissed_message(contacts: Sequence[AbstractContact], made: Sequence[DuplicateDismissal]) -> str:
    """What "Not duplicates" says it did."""
    names = ", ".join(str(contact) for contact in contacts)
    return ngettext(
        "%(names)s: marked as not duplicates (%(count)d pair). Undo it under “Dismissed duplicates”.",
        "%(names)s: marked as not duplicates (%(count)d pairs). Undo it under “Dismissed duplicates”.",
        len(made),
    ) % {"names": names, "count": len(made)}
