"""Marketing consent: stamped when given, needs a source, withdrawn with the evidence kept in history."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from django_customer_contacts import get_contact_model


def test_consent_without_a_source_is_refused_by_clean(contact):
    contact.marketing_consent = True
    with pytest.raises(ValidationError) as excinfo:
        contact.full_clean()
    assert "marketing_consent_source" in excinfo.value.message_dict
    assert "where the marketing consent was given" in excinfo.value.message_dict["marketing_consent_source"][0]


def test_a_blank_source_is_no_source(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "   "
    with pytest.raises(ValidationError):
        contact.full_clean()


def test_consent_with_a_source_is_valid(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "web form"
    contact.full_clean()


def test_no_consent_needs_no_source(contact):
    contact.full_clean()


def test_giving_consent_stamps_the_time(contact):
    before = timezone.now()
    contact.marketing_consent = True
    contact.marketing_consent_source = "signed paper form"
    contact.save()
    contact.refresh_from_db()
    assert before <= contact.marketing_consent_at <= timezone.now()
    assert contact.marketing_consent_source == "signed paper form"


def test_a_contact_created_with_consent_is_stamped(customer):
    contact = get_contact_model().objects.create(
        customer=customer, last_name="Smith", marketing_consent=True, marketing_consent_source="web form"
    )
    assert contact.marketing_consent_at is not None


def test_an_explicit_consent_time_is_kept(contact):
    when = datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
    contact.marketing_consent = True
    contact.marketing_consent_source = "imported from the old CRM"
    contact.marketing_consent_at = when
    contact.save()
    contact.refresh_from_db()
    assert contact.marketing_consent_at == when


def test_saving_again_keeps_the_first_stamp(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "web form"
    contact.save()
    stamped = contact.marketing_consent_at
    contact.job_title = "Buyer"
    contact.save()
    contact.refresh_from_db()
    assert contact.marketing_consent_at == stamped


def test_update_fields_save_writes_the_stamp_too(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "web form"
    contact.save(update_fields=["marketing_consent"])
    contact.refresh_from_db()
    assert contact.marketing_consent is True
    assert contact.marketing_consent_at is not None
    assert contact.marketing_consent_source == "web form"


def test_withdrawing_consent_clears_the_row_and_keeps_the_evidence_in_history(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "web form"
    contact.save()
    given_at = contact.marketing_consent_at

    contact.marketing_consent = False
    contact.save()
    contact.refresh_from_db()
    assert contact.marketing_consent_at is None
    assert contact.marketing_consent_source == ""

    withdrawn, given = contact.history.order_by("-history_date", "-history_id")[:2]
    assert withdrawn.marketing_consent is False
    assert given.marketing_consent is True
    assert given.marketing_consent_at == given_at
    assert given.marketing_consent_source == "web form"
    assert "marketing_consent" in withdrawn.diff_against(given).changed_fields


def test_consent_given_again_is_stamped_afresh(contact):
    contact.marketing_consent = True
    contact.marketing_consent_source = "web form"
    contact.marketing_consent_at = datetime(2020, 1, 1, tzinfo=UTC)
    contact.save()
    contact.marketing_consent = False
    contact.save()
    contact.marketing_consent = True
    contact.marketing_consent_source = "phone call"
    contact.save()
    contact.refresh_from_db()
    assert contact.marketing_consent_at.year == timezone.now().year
    assert contact.marketing_consent_source == "phone call"


def test_only_consenting_contacts_with_an_email_are_marketable(customer, make_contact):
    yes = make_contact(customer, first_name="Yes", marketing_consent=True, marketing_consent_source="web form")
    yes.add_email("yes@example.com")
    no_email = make_contact(customer, first_name="NoEmail", marketing_consent=True, marketing_consent_source="web")
    no_email.add_phone("07911 123456")
    make_contact(customer, first_name="No").add_email("no@example.com")
    opted_out = make_contact(customer, first_name="Out", marketing_consent=True, marketing_consent_source="web")
    opted_out.add_email("out@example.com")
    get_contact_model().objects.filter(pk=opted_out.pk).update(email_allowed=False)
    assert list(get_contact_model().objects.consented()) == [yes]
