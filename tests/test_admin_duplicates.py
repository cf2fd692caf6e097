"""The admin's "Possible duplicates" page: groups with reasons and scores, Merge, Not duplicates, Undo."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts.models import DuplicateDismissal
from tests.admin_helpers import app_permissions, contact_permissions, messages_of, staff_user, url

BIRTHDAY = datetime.date(1980, 3, 12)


@pytest.fixture
def twins(customer, make_contact):
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    return robert, bob


def make_groups(make_customer, make_contact, count):
    for _ in range(count):
        customer = make_customer()
        make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
        make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)


def test_the_changelist_links_to_the_page(staff_client, twins):
    assert url("duplicates") in staff_client.get(url("changelist")).content.decode()


def test_the_page_shows_each_group_with_its_reasons_score_and_explanation(staff_client, twins):
    robert, bob = twins
    response = staff_client.get(url("duplicates"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 group of contacts that are likely the same person" in page
    assert "Robert Smith" in page and "Bob Smith" in page
    assert "first names robert and bob: nickname" in page
    assert "birthday, name" in page
    [row] = response.context["rows"]
    assert row["merge_url"] == f"{url('merge')}?ids={robert.pk}%2C{bob.pk}"
    assert url("change", robert.pk) in page


def test_merge_opens_the_merge_page_with_the_group_preselected(staff_client, twins):
    robert, bob = twins
    [row] = staff_client.get(url("duplicates")).context["rows"]
    response = staff_client.get(row["merge_url"])
    assert response.status_code == 200
    assert [c.pk for c in response.context["contacts"]] == [robert.pk, bob.pk]


def test_not_duplicates_is_stored_shown_and_undoable(staff_client, twins, admin_user):
    robert, bob = twins
    response = staff_client.post(url("duplicates"), {"dismiss": f"{robert.pk},{bob.pk}"})
    assert response.status_code == 302
    assert "Robert Smith, Bob Smith: marked as not duplicates (1 pair)." in messages_of(response)[0]
    assert staff_client.get(url("duplicates")).context["rows"] == []
    dismissed = staff_client.get(url("duplicates") + "?dismissed=1")
    [row] = dismissed.context["rows"]
    assert [name for name, _link in row["contacts"]] == ["Robert Smith", "Bob Smith"]
    assert row["dismissal"].user == admin_user
    response = staff_client.post(url("duplicates"), {"undo": row["dismissal"].pk})
    assert response.status_code == 302
    assert len(staff_client.get(url("duplicates")).context["rows"]) == 1
    assert [h.history_type for h in DuplicateDismissal.history.order_by("history_id")] == ["+", "-"]
    assert {h.history_user for h in DuplicateDismissal.history.all()} == {admin_user}


def test_undoing_twice_is_a_message_not_an_error(staff_client, twins):
    response = staff_client.post(url("duplicates"), {"undo": "12345"})
    assert response.status_code == 302
    assert messages_of(response) == ["That dismissal was undone already."]


@pytest.mark.parametrize("ids", ["abc", "1", ""])
def test_bad_dismissals_are_messages(staff_client, twins, ids):
    response = staff_client.post(url("duplicates"), {"dismiss": ids})
    assert response.status_code == 302
    assert messages_of(response)
    assert not DuplicateDismissal.objects.exists()


def test_contacts_of_different_customers_cant_be_dismissed_together(staff_client, make_customer, make_contact):
    ann = make_contact(make_customer(), first_name="Ann")
    bea = make_contact(make_customer(), first_name="Bea")
    response = staff_client.post(url("duplicates"), {"dismiss": f"{ann.pk},{bea.pk}"})
    assert messages_of(response) == ["Select two or more contacts of one customer that still exist."]
    assert not DuplicateDismissal.objects.exists()


def test_one_customers_groups(staff_client, twins, make_customer, make_contact):
    make_groups(make_customer, make_contact, 1)
    robert, _bob = twins
    response = staff_client.get(url("duplicates") + f"?customer={robert.customer_id}")
    assert [row["group"].customer_id for row in response.context["rows"]] == [robert.customer_id]
    response = staff_client.get(url("duplicates") + "?customer=abc")
    assert response.status_code == 302
    assert messages_of(response) == ["“abc” is not a valid customer key."]


def test_without_the_merge_permission_the_page_only_lists(client, django_user_model, twins):
    robert, bob = twins
    viewer = staff_user(django_user_model, "viewer", contact_permissions("view"))
    client.force_login(viewer)
    response = client.get(url("duplicates"))
    assert response.status_code == 200
    assert "Not duplicates" not in response.content.decode()
    assert client.post(url("duplicates"), {"dismiss": f"{robert.pk},{bob.pk}"}).status_code == 403
    merger = staff_user(django_user_model, "merger", [*contact_permissions("view"), *app_permissions("merge_contact")])
    client.force_login(merger)
    assert client.post(url("duplicates"), {"dismiss": f"{robert.pk},{bob.pk}"}).status_code == 302
    assert DuplicateDismissal.objects.count() == 1


def test_without_the_view_permission_there_is_no_page(client, django_user_model, twins):
    client.force_login(staff_user(django_user_model, "nobody", []))
    assert client.get(url("duplicates")).status_code == 403


def test_the_page_is_paginated(staff_client, make_customer, make_contact):
    make_groups(make_customer, make_contact, 27)
    first = staff_client.get(url("duplicates"))
    assert len(first.context["rows"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(staff_client.get(url("duplicates") + "?page=2").context["rows"]) == 2


@pytest.mark.parametrize("dismissed", [False, True])
def test_the_page_takes_the_same_queries_whatever_the_number_of_groups(
    staff_client, make_customer, make_contact, dismissed
):
    def queries_for(groups):
        make_groups(make_customer, make_contact, groups)
        if dismissed:
            from django_customer_contacts.services import dismiss_duplicates, find_duplicate_contacts

            for group in find_duplicate_contacts():
                dismiss_duplicates(group.contact_ids)
        page = url("duplicates") + ("?dismissed=1" if dismissed else "")
        staff_client.get(page)  # the session, the user: read once
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(page).status_code == 200
        return len(queries)

    few = queries_for(2)
    assert queries_for(20) == few
