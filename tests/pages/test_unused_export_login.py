"""The review of unused contacts with bulk delete, the CSV export (and who is left out,
why), and log-ins for contacts."""

import csv
import datetime
import html
import io

import pytest
from django.core import mail
from django.utils import timezone

from django_customer_contacts import get_contact_model
from tests.admin_helpers import messages_of
from tests.pages.helpers import page


def shown(response):
    return html.unescape(response.content.decode())


# -- unused contacts -----------------------------------------------------------------------


@pytest.fixture
def stale(customer, make_contact):
    """Ann (primary, in use), and three contacts nobody has reached for a year."""
    model = get_contact_model()
    make_contact(customer, first_name="Ann")
    old = timezone.now() - datetime.timedelta(days=400)
    stale = [make_contact(customer, first_name=name) for name in ("Bob", "Cat", "Dan")]
    model.objects.filter(pk__in=[c.pk for c in stale]).update(created=old)
    model.objects.filter(pk=stale[1].pk).update(last_contacted_at=old + datetime.timedelta(days=1))
    return stale


def test_the_review_lists_unused_contacts_with_why(clerk_client, customer, stale):
    response = clerk_client.get(page("contact_unused", customer))
    assert [row["contact"].first_name for row in response.context["rows"]] == ["Bob", "Dan", "Cat"]
    text = shown(response)
    assert "never" in text  # Bob and Dan were never contacted
    assert "Ann" not in text


def test_deleting_unused_contacts_asks_then_deletes_the_selected(clerk_client, customer, stale):
    bob, cat, _dan = stale
    url = page("contact_unused", customer)
    response = clerk_client.post(url, {"ids": [bob.pk, cat.pk]})
    assert response.status_code == 200
    assert "Delete these 2 contacts?" in shown(response)
    assert get_contact_model().objects.count() == 4
    response = clerk_client.post(url, {"ids": [bob.pk, cat.pk], "confirm": "1"})
    assert response.status_code == 302
    assert "Deleted 2 contacts." in messages_of(response)
    assert sorted(get_contact_model().objects.values_list("first_name", flat=True)) == ["Ann", "Dan"]


def test_a_contact_reached_meanwhile_is_not_deleted(clerk_client, customer, stale):
    bob, _cat, _dan = stale
    get_contact_model().objects.filter(pk=bob.pk).update(last_contacted_at=timezone.now())
    response = clerk_client.post(page("contact_unused", customer), {"ids": [bob.pk], "confirm": "1"})
    assert response.status_code == 302
    assert any("none of those selected is unused" in m for m in messages_of(response))
    assert get_contact_model().objects.filter(pk=bob.pk).exists()


def test_the_primary_contact_is_never_offered_for_deletion(clerk_client, customer, stale):
    ann = get_contact_model().objects.get(first_name="Ann")
    clerk_client.post(page("contact_unused", customer), {"ids": [ann.pk], "confirm": "1"})
    assert get_contact_model().objects.filter(pk=ann.pk).exists()


def test_customer_managed_unused_contacts_stay_without_the_permission(clerk_client, customer, stale):
    bob, cat, _dan = stale
    get_contact_model().objects.filter(pk=bob.pk).update(managed_by="customer")
    response = clerk_client.post(page("contact_unused", customer), {"ids": [bob.pk, cat.pk], "confirm": "1"})
    assert response.status_code == 302
    assert "Deleted 1 contact." in messages_of(response)
    assert any("managed by the customer" in m for m in messages_of(response))
    assert get_contact_model().objects.filter(pk=bob.pk).exists()


# -- export ----------------------------------------------------------------------------------


@pytest.fixture
def mailing(customer, make_contact):
    def consenting(name, **fields):
        contact = make_contact(
            customer,
            first_name=name,
            marketing_consent=True,
            marketing_consent_source="web form",
            email_allowed=True,
            **fields,
        )
        return contact

    yes = consenting("Yes")
    yes.add_email("yes@example.com")
    no_consent = make_contact(customer, first_name="NoConsent", email_allowed=True)
    no_consent.add_email("no@example.com")
    consenting("NoEmail")
    gone = consenting("Gone", is_active=False)
    gone.add_email("gone@example.com")
    return customer


def test_the_export_says_how_many_are_left_out_and_why(clerk_client, mailing):
    response = clerk_client.get(page("contact_export", mailing))
    assert response.status_code == 200
    assert response.context["exported"] == 1
    assert dict(response.context["left_out"]) == {"inactive": 1, "no marketing consent": 1, "no email address": 1}
    text = shown(response)
    assert "4 contacts." in text and "3 are left out" in text


def test_the_export_of_selected_contacts(clerk_client, mailing):
    model = get_contact_model()
    ids = list(model.objects.filter(first_name__in=["Yes", "NoConsent"]).values_list("pk", flat=True))
    response = clerk_client.get(page("contact_export", mailing), {"ids": ids})
    assert response.context["selected"] == 2 and response.context["exported"] == 1
    assert dict(response.context["left_out"]) == {"no marketing consent": 1}


def test_the_csv_holds_the_consented_contacts_only(clerk_client, mailing):
    response = clerk_client.get(page("contact_export", mailing), {"download": "1"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["Email Address"] for row in rows] == ["yes@example.com"]


# -- log-in ----------------------------------------------------------------------------------


def test_enabling_a_login_and_emailing_the_details(clerk_client, customer, make_contact, django_user_model):
    jane = make_contact(customer)
    jane.add_email("jane@example.com")
    url = page("contact_login", customer, pk=jane.pk)
    assert "Enable log-in and email the details" in shown(clerk_client.get(url))
    response = clerk_client.post(url, {"action": "invite"})
    assert response.status_code == 302
    assert any("emailed to jane@example.com" in m for m in messages_of(response))
    jane.refresh_from_db()
    assert jane.user.get_username() == "jane@example.com"
    assert not jane.user.has_usable_password()
    assert len(mail.outbox) == 1 and "/reset/" in mail.outbox[0].body
    assert "Email log-in details" in shown(clerk_client.get(url))  # no password chosen yet


def test_reset_password_for_an_account_with_a_password(clerk_client, customer, make_contact):
    jane = make_contact(customer)
    jane.add_email("jane@example.com")
    clerk_client.post(page("contact_login", customer, pk=jane.pk), {"action": "enable"})
    jane.refresh_from_db()
    jane.user.set_password("chosen-pw-123")
    jane.user.save()
    url = page("contact_login", customer, pk=jane.pk)
    assert "Reset password" in shown(clerk_client.get(url))
    response = clerk_client.post(url, {"action": "reset"})
    assert any("reset the password" in m for m in messages_of(response))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jane@example.com"]


def test_a_contact_without_an_email_gets_a_message_not_an_account(clerk_client, customer, make_contact):
    jane = make_contact(customer)
    response = clerk_client.post(page("contact_login", customer, pk=jane.pk), {"action": "invite"})
    assert response.status_code == 302
    assert any("has no email address" in m for m in messages_of(response))
    jane.refresh_from_db()
    assert jane.user is None
    assert not mail.outbox
