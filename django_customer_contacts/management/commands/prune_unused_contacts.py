"""``manage.py prune_unused_contacts [--days N] [--dry-run]``: delete contacts nobody reaches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from django_customer_contacts import get_contact_model
from django_customer_contacts.conf import app_settings
from django_customer_contacts.exceptions import ContactError
from django_customer_contacts.locking import chunked
from django_customer_contacts.querysets import UnusedReviewRow


class Command(BaseCommand):
    help = (
        "Delete unused contacts: active, not primary, created and last contacted before the cut-off "
        "(default UNUSED_AFTER_DAYS days ago). The primary contact is never deleted. "
        "Also lists the customers with UNUSED_REVIEW_THRESHOLD or more unused contacts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Unused for this many days (default: UNUSED_AFTER_DAYS, now {app_settings.unused_after_days}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        model = get_contact_model()
        try:
            unused = model._default_manager.unused(days).exclude(is_primary=True).select_related("customer")
            review = list(model._default_manager.unused_review(days))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        if dry_run:
            self._report_review(review)
        deleted = kept = 0
        # Keys first, then pages of contacts: never delete from a table while a cursor
        # is still reading it. Each page re-applies the filter, so a contact reached
        # meanwhile is spared.
        pks = list(unused.order_by("customer_id", "pk").values_list("pk", flat=True))
        for page in chunked(pks, 500):
            for contact in unused.filter(pk__in=page).order_by("customer_id", "pk"):
                label = f"{contact.pk}: {contact} ({contact.customer})"
                if dry_run:
                    self.stdout.write(f"Would delete {label}")
                    deleted += 1
                    continue
                try:
                    # One savepoint per contact: a contact that a host row protects is
                    # kept, the others still go. Deleted through the queryset, which
                    # locks and filters again: a contact reached, made primary or
                    # merged away since the page was read is spared.
                    with transaction.atomic():
                        _count, per_model = unused.filter(pk=contact.pk).delete()
                except (ProtectedError, RestrictedError, ContactError) as exc:
                    kept += 1
                    reason = str(exc.args[0]) if isinstance(exc, ContactError) else "other records still refer to it"
                    self.stderr.write(f"Kept {label}: {reason}.")
                    continue
                if not per_model.get(model._meta.label):
                    if options["verbosity"] >= 2:
                        self.stdout.write(f"Spared {label}: it changed meanwhile.")
                    continue
                deleted += 1
                if options["verbosity"] >= 2:
                    self.stdout.write(f"Deleted {label}")
        noun = "contact" if deleted == 1 else "contacts"
        if dry_run:
            self.stdout.write(f"Would delete {deleted} unused {noun} (dry run: nothing deleted).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} unused {noun}."))
        if kept:
            self.stdout.write(self.style.WARNING(f"Kept {kept} that other records still refer to."))

    def _report_review(self, review: list[UnusedReviewRow]) -> None:
        if not review:
            return
        threshold = app_settings.unused_review_threshold
        self.stdout.write(
            self.style.WARNING(f"{len(review)} customer(s) have {threshold} or more unused contacts to review:")
        )
        for row in review:
            self.stdout.write(f"  customer {row['customer']}: {row['unused']} unused")
