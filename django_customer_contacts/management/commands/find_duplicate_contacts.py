"""``manage.py find_duplicate_contacts [--customer PK ...] [--min-score S] [--exact] [--json]``.

Lists likely duplicates, with their scores and reasons.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts import get_contact_model
from django_customer_contacts.duplicates import DuplicateGroup
from django_customer_contacts.management.commands import of_customers
from django_customer_contacts.services import find_duplicate_contacts

# ``emails`` and ``phones`` are the reverse accessors of ContactEmail's and ContactPhone's
# foreign keys to the swappable contact model. AbstractContact declares them for type
# checkers, but the django-stubs plugin checks prefetch_related() lookups against the
# model's fields, where an abstract model has none of them: hence the ``type: ignore`` below.


class Command(BaseCommand):
    help = (
        "List groups of contacts that are likely the same person, with how sure (a score from 0 to 1) and "
        "why: contacts of one customer whose names, birthdays, email addresses and phone numbers match "
        "(--exact: that share an email address, a phone number or a full name). Merge them with merge_contacts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customer", action="append", default=[], metavar="PK", help="Only this customer (repeatable)."
        )
        parser.add_argument(
            "--min-score",
            type=float,
            default=None,
            metavar="S",
            help="The score (above 0, at most 1) a pair needs to be listed (default: DUPLICATE_MIN_SCORE).",
        )
        parser.add_argument(
            "--exact", action="store_true", help="Only contacts sharing an email, a phone or a full name."
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the groups as JSON.")

    def handle(
        self,
        *args: Any,
        customer: list[str],
        as_json: bool,
        min_score: float | None = None,
        exact: bool = False,
        **options: Any,
    ) -> None:
        if min_score is not None and not 0 < min_score <= 1:
            raise CommandError(f"--min-score must be above 0 and at most 1, not {min_score}.")
        contacts = (
            get_contact_model()  # type: ignore[misc]  # prefetch_related("emails", "phones"): see above
            ._default_manager.regular()  # one-time contacts: not duplicates
            .select_related("customer")
            .prefetch_related("emails", "phones")
        )
        contacts = of_customers(contacts, customer)
        groups = find_duplicate_contacts(contacts, min_score=min_score, exact=exact or None)
        if as_json:
            self.stdout.write(_as_json(groups))
            return
        if not groups:
            self.stdout.write("No likely duplicates found.")
            return
        for number, group in enumerate(groups, start=1):
            first = group.contacts[0]
            heading = f"Group {number}: {first.customer} (customer {first.customer_id}), "
            if group.links:
                heading += f"score {group.score:.2f}: {', '.join(sorted(group.reasons))}"
            else:
                heading += f"shared {', '.join(sorted(group.reasons))}"
            self.stdout.write(self.style.MIGRATE_HEADING(heading))
            for contact in group.contacts:
                points = ", ".join(
                    [*(e.email for e in contact.emails.all()), *(str(p.number) for p in contact.phones.all())]
                )
                primary = " [primary]" if contact.is_primary else ""
                self.stdout.write(f"  {contact.pk:>8}  {contact}{primary}  {points}")
            for link in group.links:
                self.stdout.write(f"  {link.first_id} ~ {link.second_id}  {link.score:.2f}  {link.explanation}")
        noun = "group" if len(groups) == 1 else "groups"
        self.stdout.write(
            f"{len(groups)} {noun} of likely duplicates. Merge one with: merge_contacts MAIN_PK DUP_PK..."
        )


def _as_json(groups: list[DuplicateGroup]) -> str:
    return json.dumps(
        [
            {
                "customer": str(group.customer_id),
                "reasons": sorted(group.reasons),
                "score": round(group.score, 4),
                "links": [
                    {
                        "contacts": [link.first_id, link.second_id],
                        "score": round(link.score, 4),
                        "reasons": sorted(link.reasons),
                        "explanation": link.explanation,
                    }
                    for link in group.links
                ],
                "contacts": [
                    {
                        "id": contact.pk,
                        "name": contact.full_name,
                        "is_primary": contact.is_primary,
                        "emails": [e.email for e in contact.emails.all()],
                        "phones": [str(p.number) for p in contact.phones.all()],
                    }
                    for contact in group.contacts
                ],
            }
            for group in groups
        ],
        indent=2,
    )
