"""The default contact model, with host models pointing at it (FK and M2M)."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import Contact
from tests.hostapp.models import Invoice, Meeting


def test_default_contact_model_is_the_apps_contact():
    assert get_contact_model() is Contact


def test_host_models_point_at_contacts(contact):
    invoice = Invoice.objects.create(number="INV-1", billing_contact=contact)
    meeting = Meeting.objects.create(subject="Kick-off")
    meeting.attendees.add(contact)
    assert list(contact.invoices.all()) == [invoice]
    assert list(contact.meetings.all()) == [meeting]


def test_host_migration_depends_on_the_app_through_the_setting(db):
    loader = MigrationLoader(connection)
    migration = loader.get_migration("hostapp", "0001_initial")
    assert ("customer_contacts", "__first__") in migration.dependencies
    parents = {node.key for node in loader.graph.node_map[("hostapp", "0001_initial")].parents}
    assert ("customer_contacts", "0001_initial") in parents


def test_history_table_exists_for_the_default_contact(db):
    assert "customer_contacts_historicalcontact" in connection.introspection.table_names()
