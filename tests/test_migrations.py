"""The shipped migrations are complete and host projects migrate without cycles."""

from io import StringIO

import pytest
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


def test_migration_0005_recomputes_email_keys_of_existing_rows(transactional_db):
    """Existing addresses get the keys email_key() computes now, also where two collide."""
    from django.db import IntegrityError, transaction
    from django.db.migrations.executor import MigrationExecutor

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail

    # The contacts are written with today's model, before the columns later
    # migrations add go away; the emails' table is the same before and after 0005.
    customer = get_customer_model().objects.create(name="Acme Ltd")
    jane = get_contact_model().objects.create(customer=customer, first_name="Jane")
    sam = get_contact_model().objects.create(customer=customer, first_name="Sam")
    before = [("customer_contacts", "0004_merge_record_field_sources")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)

    def add(contact, address):
        # As the old save() did: the key lower-cased (bulk_create: no save()).
        ContactEmail.objects.bulk_create(
            [ContactEmail(contact=contact, email=address, email_normalized=address.strip().lower())]
        )
        return ContactEmail.objects.get(contact=contact, email=address)

    wide = add(jane, "Jane@ＥＸＡＭＰＬＥ.org")  # noqa: RUF001 (fullwidth letters)
    plain = add(sam, "sam@example.org")
    try:
        with transaction.atomic():
            long_s = add(sam, "ſam@example.org")  # noqa: RUF001 (one address to a person, two to the old key)
    except IntegrityError:  # MariaDB's collation refused it already
        long_s = None

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    keys = dict(ContactEmail.objects.values_list("pk", "email_normalized"))
    assert keys[wide.pk] == "jane@example.org"
    assert keys[plain.pk] == "sam@example.org"
    if long_s is not None:
        # Both rows stay; the one whose key changed is told apart by its pk.
        assert keys[long_s.pk] == f"sam@example.org#{long_s.pk}"
    else:
        assert connection.vendor == "mysql"


def test_migration_0007_gives_earlier_merge_records_their_surviving_contact(transactional_db):
    """A record moved into a later merge (its contact follows main) keeps the contact it merged into."""
    from django.db.migrations.executor import MigrationExecutor

    from django_customer_contacts import get_contact_model, get_customer_model

    # The contact is written with today's models, before going back to 0006 (which drops
    # the columns later migrations add; the row stays).
    customer = get_customer_model().objects.create(name="Acme Ltd")
    c = get_contact_model().objects.create(customer=customer, first_name="Cat")
    executor = MigrationExecutor(connection)
    executor.migrate([("customer_contacts", "0006_named_lock")])
    old = executor.loader.project_state([("customer_contacts", "0006_named_lock")]).apps
    MergeRecord = old.get_model("customer_contacts", "MergeRecord")
    # A (#1) merged into B (#2): record "first"; then B into C: "second", which moved "first" to C.
    first = MergeRecord.objects.create(contact_id=c.pk, merged_ids=[1], snapshots={"1": {}}, moved={})
    second = MergeRecord.objects.create(
        contact_id=c.pk,
        merged_ids=[2],
        snapshots={"2": {}},
        moved={"customer_contacts.mergerecord.contact": {"moved": {"2": [first.pk]}, "dropped": {}}},
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django_customer_contacts.models import MergeRecord as Current

    assert Current.objects.get(pk=first.pk).survivor == {"pk": "2"}
    assert Current.objects.get(pk=second.pk).survivor == {"pk": c.pk}


def test_migration_0008_computes_the_blocking_keys_of_existing_contacts(transactional_db):
    """Contacts saved before 0008 are found by scored duplicate detection after it."""
    from django.db.migrations.executor import MigrationExecutor

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.services import find_duplicate_contacts

    model = get_contact_model()
    if model._meta.label != "customer_contacts.Contact":
        pytest.skip("a host's own contact model gets its keys from rebuild_match_keys")
    customer = get_customer_model().objects.create(name="Acme Ltd")
    bob = model.objects.create(customer=customer, first_name="Bob", last_name="Smith")
    robert = model.objects.create(customer=customer, first_name="Robert", last_name="Smith")
    before = [("customer_contacts", "0007_merge_record_undo")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    bob.refresh_from_db()
    assert bob.match_initial_low == "r163 sm"
    assert [group.contact_ids for group in find_duplicate_contacts()] == [(bob.pk, robert.pk)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST compression is PostgreSQL's")
def test_migration_0013_compresses_merge_records_with_lz4_where_postgresql_has_it(transactional_db):
    from django.db.migrations.executor import MigrationExecutor

    from django_customer_contacts.models import MergeRecord

    def compression():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attname IN ('moved', 'snapshots', 'field_sources')",
                [MergeRecord._meta.db_table],
            )
            return dict(cursor.fetchall())

    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        has_lz4 = cursor.fetchone()[0]
    # "" is the server's default (pglz unless default_toast_compression says otherwise).
    assert compression() == {"moved": "l" if has_lz4 else "", "snapshots": "l" if has_lz4 else "", "field_sources": ""}
    executor = MigrationExecutor(connection)
    executor.migrate([("customer_contacts", "0012_duplicate_store")])
    assert compression() == {"moved": "", "snapshots": "", "field_sources": ""}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert compression()["moved"] == ("l" if has_lz4 else "")
