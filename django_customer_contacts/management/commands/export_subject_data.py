"""``manage.py export_subject_data CONTACT_PK [--output FILE]``: a person's data as JSON (GDPR art. 15/20)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts.exceptions import ContactError
from django_customer_contacts.subject_access import subject_access_json


class Command(BaseCommand):
    help = (
        "Export everything the app holds about the person behind contact CONTACT_PK as JSON (a GDPR subject "
        "access request): fields, emails, phones, consent evidence, categories, tags, merge records, history "
        "and admin log. Also takes the pk of a contact deleted earlier, whose history still holds the person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contact_pk", metavar="CONTACT_PK", help="The contact (also a deleted one).")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args: Any, contact_pk: str, output: str | None, **options: Any) -> None:
        try:
            document = subject_access_json(contact_pk)
        except ContactError as exc:
            raise CommandError(str(exc)) from exc
        if output is None:
            self.stdout.write(document)
            return
        try:
            with open(output, "w", encoding="utf-8") as file:
                file.write(document + "\n")
        except OSError as exc:
            raise CommandError(f"Can't write {output}: {exc.strerror}.") from exc
        self.stderr.write(f"Exported the data held about contact #{contact_pk} to {output}.")
