"""The customer pages' merge: the selected contacts side by side with their emails and
phones, the main contact, the differing values and the primary email chosen, a plain
preview, and the same number of queries for 2 or 5 contacts."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, MergeRecord
from tests.admin_helpers import messages_of
from tests.pages.helpers import make_staff, page


def merge_url(customer, *contacts):
    return page("contact_merge", customer) + "?" + "&".join(f"ids={c.pk}" for c in contacts)


@pytest.fixture
def pair(customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    dup = make_contact(
        customer,
        first_name="Jane",
        last_name="Smyth",
        job_title="Buyer",
        marketing_consent=True,
        marketing_consent_source="web form",
        marketing_consent_at=timezone.make_aware(datetime.datetime(2026, 10, 27, 11, 0, 15, 832732), datetime.UTC),
    )
    dup.add_email("jane.smith@work.example")
    dup.add_phone("07911 123456")
    return jane, dup


def test_the_merge_page_shows_the_contacts_side_by_side(clerk_client, customer, pair):
    jane, dup = pair
    response = clerk_client.get(merge_url(customer, jane, dup))
    assert response.status_code == 200
    shown = html.unescape(response.content.decode())
    for text in ("Smith", "Smyth", "Buyer", "jane@example.com", "jane.smith@work.example", "07911 123456"):
        assert text in shown
    assert "True<" not in shown and "832732" not in shown and "+00:00" not in shown
    assert 'name="primary_email"' in shown
    preview = " ".join(response.context["preview"])
    assert "1 email address moves to Jane Smith." in preview
    assert "1 phone number moves to Jane Smith." in preview
    assert "Jane Smyth is deleted; its history is kept." in preview


def test_merging_keeps_the_chosen_values_and_primary_email(clerk_client, customer, pair, clerk):
    jane, dup = pair
    response = clerk_client.post(
        merge_url(customer, jane, dup),
        {
            "main": jane.pk,
            "field_last_name": dup.pk,
            "field_job_title": dup.pk,
            "primary_email": "jane.smith@work.example",
            "reason": "same person",
            "merge": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == page("contact_edit", customer, pk=jane.pk)
    assert messages_of(response) == ["Merged 1 contact into Jane Smyth."]  # as it is now
    jane.refresh_from_db()
    assert (jane.last_name, jane.job_title) == ("Smyth", "Buyer")
    assert jane.email == "jane.smith@work.example"
    assert ContactEmail.objects.filter(contact=jane, is_primary=True).count() == 1
    assert not get_contact_model().objects.filter(pk=dup.pk).exists()
    record = MergeRecord.objects.get()
    assert (record.user, record.reason) == (clerk, "same person")


def test_the_preview_follows_the_choices(clerk_client, customer, pair):
    jane, dup = pair
    response = clerk_client.post(
        merge_url(customer, jane, dup), {"main": dup.pk, "field_last_name": jane.pk, "preview": "1"}
    )
    preview = " ".join(response.context["preview"])
    assert "1 email address moves to Jane Smyth." in preview
    assert "Last name becomes “Smith” (from Jane Smith)." in preview
    assert get_contact_model().objects.count() == 2  # a preview changes nothing


def test_the_merge_page_needs_two_contacts(clerk_client, customer, pair):
    jane, _dup = pair
    response = clerk_client.get(merge_url(customer, jane))
    assert response.status_code == 302
    assert any("at least two" in m for m in messages_of(response))


@pytest.mark.parametrize("ids", ["abc", "1.5", "99999999999999999999999"])
def test_ids_that_arent_contact_ids_are_a_message(clerk_client, customer, pair, ids):
    jane, _dup = pair
    response = clerk_client.get(f"{page('contact_merge', customer)}?ids={jane.pk}&ids={ids}")
    assert response.status_code == 302
    assert any("not a contact id" in m for m in messages_of(response))


def test_customer_managed_contacts_need_the_permission_to_be_merged(clerk_client, customer, pair, make_contact):
    jane, _dup = pair
    managed = make_contact(customer, first_name="Jane", last_name="Self", managed_by="customer")
    response = clerk_client.post(merge_url(customer, jane, managed), {"main": jane.pk, "merge": "1"})
    assert response.status_code == 403
    assert get_contact_model().objects.filter(pk=managed.pk).exists()


# -- queries --------------------------------------------------------------------------------


def merge_page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_merge_page_takes_the_same_queries_for_2_or_5_contacts(client, django_user_model, make_customer):
    client.force_login(make_staff(django_user_model, "clerk"))
    model = get_contact_model()
    urls = []
    for count in (2, 5):
        customer = make_customer()
        contacts = [
            model.objects.create(customer=customer, first_name="Jane", last_name=f"Dup{i}") for i in range(count)
        ]
        for i, contact in enumerate(contacts):
            contact.add_email(f"jane{i}@example.com")
            contact.add_phone(f"07911 12345{i}")
        urls.append(merge_url(customer, *contacts))
    merge_page_queries(client, urls[0])  # warm what a running process has cached
    counts = [merge_page_queries(client, url) for url in urls]
    print(f"\nthe merge page: 2 contacts -> {counts[0]} queries, 5 -> {counts[1]}")
    assert counts[0] == counts[1]
