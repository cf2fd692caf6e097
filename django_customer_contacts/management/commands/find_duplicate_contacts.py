"""``manage.py find_duplicate_contacts [--customer PK ...] [--min-score S] [--exact] [--json]``.

Lists likely duplicates, with their scores and reasons.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts import get_contact_model
from django_customer_contacts.duplicates import DuplicateGroup
from django_customer_contacts.management.commands import customer_keys, of_customers
from django_customer_contacts.services import find_duplicate_contacts

if TYPE_CHECKING:
    from django_customer_contacts.models import AbstractContact

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
        if len(customer) > 1 or min_score is not None or exact:
            groups = find_duplicate_contacts(of_customers(contacts, customer), min_score=min_score, exact=exact or None)
        else:
            # Every customer's, or one customer's, with the default score: through the
            # stored answers (which this stores, ahead of the "Possible duplicates" pages).
            groups = find_duplicate_contacts(customer=customer_keys(customer)[0] if customer else None)
        # The instances of every group at once, with their customers, emails and phones.
        found = contacts.in_bulk([pk for group in groups for pk in group.contact_ids])
        members = {group: [found[pk] for pk in group.contact_ids if pk in found] for group in groups}
        if as_json:
            self.stdout.write(_as_json(groups, members))
            return
        if not groups:
            self.stdout.write("No likely duplicates found.")
            return
        for number, group in enumerate(groups, start=1):
            if not members[group]:  # deleted since it was found
                continue
            first = members[group][0]
            heading = f"Group {number}: {first.customer} (customer {first.customer_id}), "
            if group.links:
                heading += f"score {group.score:.2f}: {', '.join(sorted(group.reasons))}"
            else:
                heading += f"shared {', '.join(sorted(group.reasons))}"
            self.stdout.write(self.style.MIGRATE_HEADING(heading))
            for contact in members[group]:
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


def _as_json(groups: list[DuplicateGroup], members: dict[DuplicateGroup, list[AbstractContact]]) -> str:
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
                    for contact in members[group]
                ],
            }
            for group in groups
        ],
        indent=2,
    )
