"""Every change to contacts, emails and phones is kept in history."""

from django.db import models
from django.test import override_settings
from simple_history.models import HistoricalRecords

from django_customer_contacts import get_contact_model
from django_customer_contacts.history import FrozenHistoricalRecords
from django_customer_contacts.models import ContactEmail, ContactPhone


def test_contact_history_records_create_change_and_delete(customer, make_contact):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    bob.job_title = "Buyer"
    bob.save()
    pk = bob.pk
    bob.delete()
    history = get_contact_model().history.filter(id=pk).order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert history[1].job_title == "Buyer"


def test_history_shows_who_changed_what(contact):
    first = contact.history.earliest()
    contact.last_name = "Jones"
    contact.save()
    latest = contact.history.latest()
    delta = latest.diff_against(first)
    assert "last_name" in delta.changed_fields


def test_email_and_phone_changes_are_in_history(contact):
    email = contact.add_email("jane@example.com")
    email.email = "jane.smith@example.com"
    email.save()
    phone = contact.add_phone("07911 123456")
    phone_pk = phone.pk
    phone.delete()
    assert [h.email for h in email.history.order_by("history_id")] == [
        "jane@example.com",
        "jane.smith@example.com",
    ]
    assert ContactPhone.history.filter(id=phone_pk, history_type="-").exists()
    assert ContactEmail.history.filter(contact_id=contact.pk).count() == 2


def test_primary_change_is_in_history(customer, make_contact):
    from django_customer_contacts.services import set_primary_contact

    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    set_primary_contact(bob)
    assert ann.history.latest().is_primary is False
    assert bob.history.latest().is_primary is True


def test_request_user_is_recorded_by_the_middleware(client, contact, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw")
    client.force_login(user)
    response = client.post(f"/contacts/{contact.pk}/rename/", {"job_title": "CFO"})
    assert response.status_code == 200
    latest = contact.history.latest()
    assert latest.job_title == "CFO"
    assert latest.history_user == user


@override_settings(
    SIMPLE_HISTORY_HISTORY_ID_USE_UUID=True,
    SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD=False,
    SIMPLE_HISTORY_DATE_INDEX="composite",
)
def test_history_layout_ignores_the_hosts_simple_history_settings():
    """Host options like SIMPLE_HISTORY_HISTORY_ID_USE_UUID must not reshape our history tables."""
    plain = HistoricalRecords()
    assert isinstance(plain._get_history_id_field(), models.UUIDField)  # what we guard against

    frozen = FrozenHistoricalRecords()
    assert isinstance(frozen._get_history_id_field(), models.BigAutoField)
    assert isinstance(frozen._get_history_change_reason_field(), models.TextField)
    assert frozen._date_indexing is True
    assert "indexes" not in frozen.get_meta_options(ContactEmail)
