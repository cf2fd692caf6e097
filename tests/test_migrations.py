"""The shipped migrations are complete and host projects migrate without cycles."""

from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader


def test_makemigrations_finds_nothing_to_do_for_any_app(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_migration_graph_has_no_cycles(db):
    loader = MigrationLoader(connection)
    loader.graph.ensure_not_cyclic()
    assert ("customer_contacts", "0002_notification_categories") in loader.applied_migrations


def test_shipped_migrations_name_no_host_app():
    """Our migrations must reach host models only through settings, never by label."""
    from pathlib import Path

    import django_customer_contacts

    folder = Path(django_customer_contacts.__file__).parent / "migrations"
    for path in folder.glob("0*.py"):
        text = path.read_text()
        for label in ("crm.", "swapcrm.", "hostapp."):
            assert f"'{label}" not in text and f'"{label}' not in text, (path.name, label)


def test_migrating_backwards_to_zero_and_forwards_again_works(transactional_db):
    call_command("migrate", "customer_contacts", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert "customer_contacts_contactemail" not in tables
    call_command("migrate", verbosity=0)
    assert "customer_contacts_contactemail" in connection.introspection.table_names()
