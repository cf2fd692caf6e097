"""A host's own contact model (with an extra field) and a UUID-keyed customer."""

import uuid

from django.db import connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import Contact as DefaultContact
from django_customer_contacts.models import ContactEmail, Tag
from tests.swapcrm.models import Contact as HostContact
from tests.swapcrm.models import Team, Ticket


def test_get_contact_model_returns_the_hosts_model():
    assert get_contact_model() is HostContact
    assert DefaultContact._meta.swapped == "swapcrm.Contact"


def test_customer_has_a_uuid_key_and_contacts_hang_off_it(customer, contact):
    assert isinstance(customer.pk, uuid.UUID)
    assert list(customer.contacts.all()) == [contact]


def test_host_contact_keeps_its_extra_field(customer):
    contact = HostContact.objects.create(customer=customer, last_name="Smith", loyalty_number="L-42")
    assert HostContact.objects.get(pk=contact.pk).loyalty_number == "L-42"


def test_contact_points_and_tags_work_on_the_hosts_model(contact):
    contact.add_email("jane@example.com")
    contact.tags.add(Tag.objects.create(name="VIP"))
    assert ContactEmail.objects.get().contact == contact
    assert contact.email == "jane@example.com"
    assert [t.name for t in contact.tags.all()] == ["VIP"]


def test_other_host_models_point_at_the_hosts_contact(contact):
    ticket = Ticket.objects.create(subject="Broken", contact=contact)
    team = Team.objects.create(name="Buyers")
    team.members.add(contact)
    assert list(contact.tickets.all()) == [ticket]
    assert list(contact.teams.all()) == [team]


def test_host_contact_has_history_with_its_extra_field(customer):
    contact = HostContact.objects.create(customer=customer, last_name="Smith", loyalty_number="L-1")
    contact.loyalty_number = "L-2"
    contact.save()
    assert [h.loyalty_number for h in contact.history.order_by("history_id")] == ["L-1", "L-2"]


def test_swapped_out_default_leaves_no_tables(db):
    tables = set(connection.introspection.table_names())
    assert "customer_contacts_contact" not in tables
    assert "customer_contacts_historicalcontact" not in tables
    assert "swapcrm_contact" in tables and "swapcrm_historicalcontact" in tables
    assert not hasattr(DefaultContact, "history")


def test_custom_permissions_keep_the_apps_label(django_user_model):
    from django.contrib.auth.models import Permission

    codenames = set(
        Permission.objects.filter(content_type__app_label="customer_contacts").values_list("codename", flat=True)
    )
    assert {
        "merge_contact",
        "set_primary_contact",
        "export_contact",
        "change_customer_managed_contact",
    } <= codenames
