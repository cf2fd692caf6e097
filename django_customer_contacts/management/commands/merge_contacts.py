"""``manage.py merge_contacts MAIN_PK DUP_PK... [--dry-run]``: merge duplicates into one contact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import MergeError
from django_customer_contacts.normalize import parse_pk
from django_customer_contacts.services import merge_contacts, plan_merge

if TYPE_CHECKING:
    from django_customer_contacts.models import AbstractContact


class Command(BaseCommand):
    help = (
        "Merge the duplicate contacts DUP_PK... into the contact MAIN_PK: their emails, phones and every "
        "row that points at them move to it, then they are deleted. Use --dry-run to see what would move."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("main", metavar="MAIN_PK", help="The contact to keep.")
        parser.add_argument("duplicates", metavar="DUP_PK", nargs="+", help="The contacts merged into it.")
        parser.add_argument(
            "--keep",
            action="append",
            default=[],
            metavar="FIELD=PK",
            help="Take FIELD's value from contact PK (main or a duplicate); repeatable.",
        )
        parser.add_argument("--reason", default="", help="Why: kept in the merge record.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would happen; change nothing.")

    def handle(self, *args: Any, main: str, duplicates: list[str], keep: list[str], **options: Any) -> None:
        model = get_contact_model()
        try:
            main_contact = model._default_manager.get(pk=_pk(model, main))
        except model.DoesNotExist:
            raise CommandError(f"There is no contact {main}.") from None
        field_sources: dict[str, Any] = {}
        for choice in keep:
            name, sep, pk = choice.partition("=")
            if not sep:
                raise CommandError(f"--keep takes FIELD=PK, not {choice!r}.")
            field_sources[name] = _pk(model, pk)
        duplicate_pks = [_pk(model, pk) for pk in duplicates]
        try:
            if options["dry_run"]:
                plan = plan_merge(main_contact, duplicate_pks, field_sources=field_sources)
                for line in plan.describe():
                    self.stdout.write(line)
                self.stdout.write("Dry run: nothing changed.")
                return
            record = merge_contacts(main_contact, duplicate_pks, field_sources=field_sources, reason=options["reason"])
        except MergeError as exc:
            raise CommandError(str(exc)) from exc
        noun = "contact" if len(record.merged_ids) == 1 else "contacts"
        self.stdout.write(
            self.style.SUCCESS(
                f"Merged {len(record.merged_ids)} {noun} into {main_contact} (#{main_contact.pk}); "
                f"merge record #{record.pk}."
            )
        )
        for label, rows in record.moved.items():
            moved = sum(len(pks) for pks in rows["moved"].values())
            dropped = sum(len(pks) for pks in rows["dropped"].values())
            self.stdout.write(f"  {label}: {moved} moved, {dropped} dropped (main already had them)")


def _pk(model: type[AbstractContact], value: str) -> Any:
    try:
        return parse_pk(model, value)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
