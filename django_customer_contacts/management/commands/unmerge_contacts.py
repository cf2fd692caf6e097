"""``manage.py unmerge_contacts RECORD_PK [--dry-run]``: undo a merge from its merge record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts.exceptions import MergeError
from django_customer_contacts.models import MergeRecord
from django_customer_contacts.normalize import parse_pk
from django_customer_contacts.services import plan_unmerge, unmerge


class Command(BaseCommand):
    help = (
        "Undo the merge RECORD_PK: the merged contacts come back with their pks, emails, phones and "
        "every row that moved. Use --dry-run to see what would be restored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("record", metavar="RECORD_PK", help="The merge record (see the admin's merge records).")
        parser.add_argument("--reason", default="", help="Why: kept in the merge record.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would happen; change nothing.")

    def handle(self, *args: Any, record: str, **options: Any) -> None:
        try:
            pk = parse_pk(MergeRecord, record)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        merge_record = MergeRecord._default_manager.filter(pk=pk).first()
        if merge_record is None:
            raise CommandError(f"There is no merge record {record}.")
        try:
            if options["dry_run"]:
                for line in plan_unmerge(merge_record).describe():
                    self.stdout.write(line)
                self.stdout.write("Dry run: nothing changed.")
                return
            merge_record = unmerge(merge_record, reason=options["reason"])
        except MergeError as exc:
            raise CommandError(str(exc)) from exc
        ids = ", ".join(f"#{pk}" for pk in merge_record.merged_ids)
        self.stdout.write(self.style.SUCCESS(f"Undid merge #{merge_record.pk}: restored contact {ids}."))
        for note in merge_record.undo_notes:
            self.stdout.write(f"  {note}")
