"""``manage.py erase_contact PK... [--unlink-user] [--no-input]``: GDPR erasure of contacts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts.exceptions import ErasureError
from django_customer_contacts.services import anonymize_contact


class Command(BaseCommand):
    help = (
        "Erase the people behind the contacts PK... (GDPR): their names, addresses and numbers leave the "
        "contact, its history, merge records and admin log; the row stays for the records pointing at it. "
        "Also takes the pk of a contact deleted earlier, whose history still holds the person. "
        "This can't be undone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pks", metavar="PK", nargs="+", help="The contacts to erase (also deleted ones).")
        parser.add_argument(
            "--unlink-user",
            action="store_true",
            help="Unlink a contact's user account and erase it anyway; the account is then yours to delete.",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Don't ask for confirmation.",
        )

    def handle(self, *args: Any, pks: list[str], unlink_user: bool, interactive: bool, **options: Any) -> None:
        noun = "contact" if len(pks) == 1 else "contacts"
        if interactive:
            answer = input(f"Erase {len(pks)} {noun} ({', '.join(pks)})? This can't be undone. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        refused: list[str] = []
        for pk in pks:
            try:
                contact = anonymize_contact(pk, unlink_user=unlink_user)
            except ErasureError as exc:
                refused.append(f"{pk}: {exc}")
                continue
            if contact is None:
                self.stdout.write(self.style.SUCCESS(f"Erased the traces of deleted contact #{pk}."))
            else:
                self.stdout.write(self.style.SUCCESS(f"Erased contact #{contact.pk}, now {contact}."))
        if refused:
            raise CommandError(
                f"{len(refused)} of {len(pks)} {noun} not erased (the others were):\n  " + "\n  ".join(refused)
            )
