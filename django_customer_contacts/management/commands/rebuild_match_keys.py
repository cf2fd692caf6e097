"""``manage.py rebuild_match_keys [--customer PK ...]``: compute duplicate detection's keys again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_customer_contacts import get_contact_model
from django_customer_contacts.management.commands import of_customers
from django_customer_contacts.services import rebuild_match_keys


class Command(BaseCommand):
    help = (
        "Compute the blocking keys duplicate detection compares (sounds of the names, the birthday) "
        "for contacts written without save(): bulk imports, SQL, a host's own contact model's existing rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customer", action="append", default=[], metavar="PK", help="Only this customer (repeatable)."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Contacts per transaction (default 1000).")

    def handle(self, *args: Any, customer: list[str], batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        contacts = get_contact_model()._base_manager.all()
        contacts = of_customers(contacts, customer)
        changed = rebuild_match_keys(contacts, batch_size=batch_size)
        noun = "contact's keys" if changed == 1 else "contacts' keys"
        self.stdout.write(f"{changed} {noun} updated.")
