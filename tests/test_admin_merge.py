"""The admin's merge action and page."""

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, MergeRecord
from tests.admin_helpers import messages_of, url


@pytest.fixture
def pair(customer, make_contact):
    jane = make_contact(customer, first_name="Jane", last_name="Smith", job_title="")
    jane.add_email("jane@example.com")
    dup = make_contact(customer, first_name="Jane", last_name="Smyth", job_title="Buyer")
    dup.add_email("jane.smith@work.example")
    return jane, dup


def test_merge_action_opens_the_merge_page_with_the_selection(staff_client, pair):
    jane, dup = pair
    response = staff_client.post(url("changelist"), {"action": "merge_contacts", "_selected_action": [jane.pk, dup.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"{url('merge')}?ids={jane.pk}%2C{dup.pk}"


def test_merge_page_shows_the_contacts_side_by_side_and_what_will_move(staff_client, pair):
    jane, dup = pair
    response = staff_client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Smith" in html and "Smyth" in html and "Buyer" in html
    assert 'name="field_last_name"' in html and 'name="field_first_name"' not in html  # same value: no choice
    preview = response.context["moves"]
    assert any(move.moved_count == 1 for move in preview)  # the duplicate's email


def test_merging_in_the_admin_keeps_the_chosen_values_and_both_emails(staff_client, pair, admin_user):
    jane, dup = pair
    response = staff_client.post(
        f"{url('merge')}?ids={jane.pk},{dup.pk}",
        {"main": jane.pk, "field_last_name": dup.pk, "field_job_title": dup.pk, "reason": "same person", "_merge": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("change", jane.pk)
    assert any("Merged 1 contact" in m for m in messages_of(response))
    jane.refresh_from_db()
    assert (jane.last_name, jane.job_title) == ("Smyth", "Buyer")
    assert not get_contact_model().objects.filter(pk=dup.pk).exists()
    assert set(ContactEmail.objects.filter(contact=jane).values_list("email", flat=True)) == {
        "jane@example.com",
        "jane.smith@work.example",
    }
    record = MergeRecord.objects.get()
    assert record.user == admin_user and record.reason == "same person"


def test_refused_merge_is_a_message_and_changes_nothing(staff_client, make_customer, make_contact):
    first = make_contact(make_customer(), first_name="Ann")
    other = make_contact(make_customer(), first_name="Bob")
    response = staff_client.post(f"{url('merge')}?ids={first.pk},{other.pk}", {"main": first.pk, "_merge": "1"})
    assert response.status_code == 200
    assert messages_of(response)
    assert get_contact_model().objects.count() == 2


def test_merge_page_needs_two_existing_contacts(staff_client, contact):
    response = staff_client.get(url("merge"), {"ids": f"{contact.pk},999999"})
    assert response.status_code == 302
    assert any("at least two" in m for m in messages_of(response))


def test_merge_needs_the_merge_permission(client, django_user_model, pair):
    from django.contrib.auth.models import Permission

    jane, dup = pair
    model = get_contact_model()
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=model._meta.app_label).exclude(codename="merge_contact")
    )
    client.force_login(clerk)
    assert "merge_contacts" not in client.get(url("changelist")).content.decode()
    assert client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"}).status_code == 403
    response = client.post(f"{url('merge')}?ids={jane.pk},{dup.pk}", {"main": jane.pk, "_merge": "1"})
    assert response.status_code == 403
    assert model.objects.count() == 2


def test_merge_page_requires_login(client, pair):
    jane, dup = pair
    response = client.get(url("merge"), {"ids": f"{jane.pk},{dup.pk}"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_customer_managed_duplicates_need_the_permission_to_be_merged(
    client, django_user_model, customer, make_contact
):
    from django.contrib.auth.models import Permission

    model = get_contact_model()
    jane = make_contact(customer, first_name="Jane")
    managed = make_contact(customer, first_name="Jane", last_name="Self", managed_by="customer")
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=model._meta.app_label).exclude(
            codename="change_customer_managed_contact"
        ),
        Permission.objects.get(codename="merge_contact"),
    )
    client.force_login(clerk)
    response = client.post(f"{url('merge')}?ids={jane.pk},{managed.pk}", {"main": jane.pk, "_merge": "1"}, follow=True)
    assert any("managed by the customer" in m for m in messages_of(response))
    assert model.objects.count() == 2


@pytest.mark.parametrize(
    "ids",
    ["{a},abc", "{a},1.5", "{a},99999999999999999999999", "{a},-99999999999999999999999", "{a}, {b}x"],
)
def test_ids_that_are_not_contact_ids_are_a_message_not_a_500(staff_client, pair, ids):
    jane, dup = pair
    ids = ids.format(a=jane.pk, b=dup.pk)
    for response in (
        staff_client.get(url("merge"), {"ids": ids}),
        staff_client.post(f"{url('merge')}?ids={ids}", {"main": jane.pk, "_merge": "1"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == url("changelist")
    shown = " ".join(messages_of(response))
    assert "not a contact id" in shown or "at least two" in shown
    assert get_contact_model().objects.count() == 2


def test_the_same_contact_spelt_twice_is_one_contact(staff_client, pair):
    jane, dup = pair
    response = staff_client.get(url("merge"), {"ids": f"{jane.pk},0{jane.pk},{dup.pk}"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["contacts"]] == [jane.pk, dup.pk]
