"""``manage.py export_contacts [--consented] [--customer PK] [--output FILE]``: contacts as CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.export import write_csv
from django_customer_contacts.normalize import parse_pk


class Command(BaseCommand):
    help = (
        "Export active contacts as CSV, streamed, with columns a mailing tool imports directly. "
        "--consented keeps the contacts a marketing email may go to."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consented",
            action="store_true",
            help="Only contacts with marketing consent, emails allowed and an email address.",
        )
        parser.add_argument("--customer", metavar="PK", help="Only the contacts of this customer.")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args: Any, consented: bool, customer: str | None, output: str | None, **options: Any) -> None:
        contacts = get_contact_model()._default_manager.active()
        if customer is not None:
            try:
                contacts = contacts.filter(customer_id=parse_pk(get_customer_model(), customer))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if output is None:
            count = write_csv(_Unterminated(self.stdout), contacts, consented=consented)
        else:
            try:
                with open(output, "w", newline="", encoding="utf-8") as file:
                    count = write_csv(file, contacts, consented=consented)
            except OSError as exc:
                raise CommandError(f"Can't write {output}: {exc.strerror}.") from exc
        self.stderr.write(f"Exported {count} contact{'s' if count != 1 else ''}.")


class _Unterminated:
    """Standard output without the newline ``OutputWrapper.write()`` adds: CSV lines end in ``\\r\\n``."""

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout

    def write(self, line: str) -> None:
        self.stdout.write(line, ending="")
