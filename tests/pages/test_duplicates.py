"""The customer's "Possible duplicates" page: the customer's groups with names, scores and
evidence, Merge (the merge page preselected), Not duplicates and Undo (stored, with the
user, in history), other customers' contacts a 404, the same queries for 1 or 30 groups."""

import datetime
import html

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_customer_contacts.models import DuplicateDismissal
from django_customer_contacts.services import dismiss_duplicates
from tests.admin_helpers import messages_of
from tests.pages.helpers import make_staff, page

BIRTHDAY = datetime.date(1980, 3, 12)

SURNAMES = [
    "Abbott", "Barker", "Castillo", "Dunmore", "Eriksen", "Fairweather", "Gutierrez", "Holloway",
    "Ingram", "Jablonski", "Kowalczyk", "Lindqvist", "Mendoza", "Nakamura", "Okonkwo", "Petrakis",
    "Quintero", "Rasmussen", "Szabo", "Thorvaldsen", "Underhill", "Vasquez", "Whitmore", "Xiong",
    "Yamamoto", "Zielinski", "Achterberg", "Bjornstad", "Chakraborty", "Delacroix", "Esposito",
    "Fitzgerald", "Gallagher", "Hernandez", "Iwasaki", "Jorgensen", "Kaminski", "Lombardi",
    "Moreau", "Novak", "Oyelaran", "Pellegrino", "Quigley", "Rousseau", "Sorensen", "Tanaka",
    "Uchida", "Valentin", "Wojcik", "Yilmaz", "Zamora", "Abernathy", "Brennan", "Carmichael",
    "Dimitrov", "Engstrom", "Ferreira", "Grimaldi", "Haverkamp", "Iglesias",
]  # fmt: skip


@pytest.fixture
def twins(customer, make_contact):
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    return robert, bob


def make_groups(customer, make_contact, count, start=0):
    """``count`` pairs of one person each (Robert and Bob, one surname and birthday a pair)."""
    pairs = []
    for i in range(start, start + count):
        birthday = datetime.date(1940 + i, 1 + i % 12, 1 + i % 28)
        pairs.append(
            (
                make_contact(customer, first_name="Robert", last_name=SURNAMES[i], birthday=birthday),
                make_contact(customer, first_name="Bob", last_name=SURNAMES[i], birthday=birthday),
            )
        )
    return pairs


def shown(response):
    return html.unescape(response.content.decode())


def test_the_contact_list_links_to_the_page(clerk_client, customer):
    response = clerk_client.get(page("contact_list", customer))
    assert page("contact_duplicates", customer) in response.content.decode()


def test_the_page_lists_the_customers_groups_with_names_scores_and_evidence(
    clerk_client, customer, twins, make_customer, make_contact
):
    robert, bob = twins
    make_groups(make_customer("Other Ltd"), make_contact, 1)
    response = clerk_client.get(page("contact_duplicates", customer))
    assert response.status_code == 200
    text = shown(response)
    assert "1 group of contacts that are likely the same person" in text
    [row] = response.context["rows"]
    assert row["group"].contact_ids == (robert.pk, bob.pk)
    assert "Abbott" not in text  # the other customer's group
    for contact in (robert, bob):
        assert f'href="{page("contact_edit", customer, pk=contact.pk)}"' in text
    score = row["group"].score
    assert f"Score {score:.2f}" in text and 0.5 < score <= 1
    assert f"Robert Smith and Bob Smith ({round(score * 100)}%)" in text
    assert "(birthday, name)" in text
    assert "first names robert and bob: nickname" in text


def test_merge_opens_the_customers_merge_page_with_the_group_preselected(clerk_client, customer, twins):
    robert, bob = twins
    [row] = clerk_client.get(page("contact_duplicates", customer)).context["rows"]
    assert row["merge_url"] == f"{page('contact_merge', customer)}?ids={robert.pk}&ids={bob.pk}"
    response = clerk_client.get(row["merge_url"])
    assert response.status_code == 200
    assert [c.pk for c in response.context["contacts"]] == [robert.pk, bob.pk]


def test_not_duplicates_is_stored_with_the_user_and_can_be_undone(clerk_client, clerk, customer, twins):
    robert, bob = twins
    url = page("contact_duplicates", customer)
    response = clerk_client.post(url, {"dismiss": f"{robert.pk},{bob.pk}", "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    assert messages_of(response) == [
        "Robert Smith, Bob Smith: marked as not duplicates (1 pair). Undo it under “Dismissed duplicates”."
    ]
    dismissal = DuplicateDismissal.objects.get()
    assert dismissal.user == clerk
    after = clerk_client.get(url)
    assert after.context["rows"] == []
    [row] = after.context["dismissed_rows"]
    assert row["contacts"] == [
        ("Robert Smith", page("contact_edit", customer, pk=robert.pk)),
        ("Bob Smith", page("contact_edit", customer, pk=bob.pk)),
    ]
    assert f'name="undo" value="{dismissal.pk}"' in after.content.decode()

    response = clerk_client.post(url, {"undo": dismissal.pk})
    assert response.status_code == 302
    assert messages_of(response) == ["Undone: the contacts may show up as possible duplicates again."]
    assert not DuplicateDismissal.objects.exists()
    assert len(clerk_client.get(url).context["rows"]) == 1
    history = list(DuplicateDismissal.history.order_by("history_id"))
    assert [(h.history_type, h.history_user) for h in history] == [("+", clerk), ("-", clerk)]


def test_undoing_twice_is_a_message_not_an_error(clerk_client, customer, twins):
    response = clerk_client.post(page("contact_duplicates", customer), {"undo": "12345"})
    assert response.status_code == 302
    assert messages_of(response) == ["That dismissal was undone already."]


@pytest.mark.parametrize("ids", ["abc", "1", ""])
def test_bad_dismissals_are_messages_and_change_nothing(clerk_client, customer, twins, ids):
    response = clerk_client.post(page("contact_duplicates", customer), {"dismiss": ids})
    assert response.status_code == 302
    assert messages_of(response)
    assert not DuplicateDismissal.objects.exists()


def test_dismissing_a_contact_of_another_customer_is_a_404_and_changes_nothing(
    clerk_client, customer, twins, make_customer, make_contact
):
    stranger = make_contact(make_customer("Other Ltd"), first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    response = clerk_client.post(page("contact_duplicates", customer), {"dismiss": f"{twins[0].pk},{stranger.pk}"})
    assert response.status_code == 404
    assert not DuplicateDismissal.objects.exists()


def test_another_customers_dismissals_are_neither_shown_nor_undone(
    clerk_client, customer, twins, make_customer, make_contact
):
    other = make_customer("Other Ltd")
    [(robert, bob)] = make_groups(other, make_contact, 1)
    [theirs] = dismiss_duplicates([robert, bob])
    [ours] = dismiss_duplicates(twins)
    url = page("contact_duplicates", customer)
    assert [row["dismissal"] for row in clerk_client.get(url).context["dismissed_rows"]] == [ours]
    assert clerk_client.post(url, {"undo": theirs.pk}).status_code == 404
    assert DuplicateDismissal.objects.filter(pk=theirs.pk).exists()
    assert clerk_client.post(page("contact_duplicates", other), {"undo": theirs.pk}).status_code == 302
    assert not DuplicateDismissal.objects.filter(pk=theirs.pk).exists()


def test_a_dismissed_contact_merged_away_is_named_by_its_key(clerk_client, customer, twins):
    _robert, bob = twins
    dismiss_duplicates(twins)
    gone = bob.pk
    bob.delete()
    [row] = clerk_client.get(page("contact_duplicates", customer)).context["dismissed_rows"]
    assert row["contacts"][1] == (f"contact #{gone} (gone)", "")


def test_viewers_see_the_list_without_the_buttons_and_cannot_dismiss(viewer_client, customer, twins):
    robert, bob = twins
    url = page("contact_duplicates", customer)
    response = viewer_client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    text = response.content.decode()
    assert "Not duplicates" not in text and page("contact_merge", customer) not in text
    assert viewer_client.post(url, {"dismiss": f"{robert.pk},{bob.pk}"}).status_code == 403
    assert not DuplicateDismissal.objects.exists()


def test_dismissals_shown_to_viewers_have_no_undo(viewer_client, customer, twins):
    [dismissal] = dismiss_duplicates(twins)
    url = page("contact_duplicates", customer)
    response = viewer_client.get(url)
    assert [row["dismissal"] for row in response.context["dismissed_rows"]] == [dismissal]
    assert 'name="undo"' not in response.content.decode()
    assert viewer_client.post(url, {"undo": dismissal.pk}).status_code == 403
    assert DuplicateDismissal.objects.filter(pk=dismissal.pk).exists()


def test_without_the_view_permission_there_is_no_page(client, django_user_model, customer, twins):
    nobody = make_staff(django_user_model, "nobody", actions=(), app=("merge_contact",))
    client.force_login(nobody)
    url = page("contact_duplicates", customer)
    assert client.get(url).status_code == 404  # by default, only staff who may view contacts see customers
    nobody.groups.add(Group.objects.create(name=f"customer:{customer.pk}"))
    with override_settings(CUSTOMER_CONTACTS={"CUSTOMER_ACCESS": "tests.pages.hooks.own_customers_only"}):
        assert client.get(url).status_code == 403
        assert client.post(url, {"dismiss": f"{twins[0].pk},{twins[1].pk}"}).status_code == 403
    assert not DuplicateDismissal.objects.exists()


def test_names_are_escaped(clerk_client, customer, make_contact):
    for first_name in ("<b>Robert</b>", "<b>Bob</b>"):
        make_contact(customer, first_name=first_name, last_name="<i>Smith</i>", birthday=BIRTHDAY)
    text = clerk_client.get(page("contact_duplicates", customer)).content.decode()
    assert "&lt;b&gt;Robert&lt;/b&gt;" in text
    assert "<b>" not in text and "<i>" not in text


def test_a_foreign_next_is_ignored(clerk_client, customer, twins):
    robert, bob = twins
    url = page("contact_duplicates", customer)
    response = clerk_client.post(url, {"dismiss": f"{robert.pk},{bob.pk}", "next": "https://evil.example/"})
    assert response["Location"] == url


def test_both_lists_are_paginated(clerk_client, customer, make_contact):
    pairs = make_groups(customer, make_contact, 54)
    for pair in pairs[27:]:
        dismiss_duplicates(pair)
    url = page("contact_duplicates", customer)
    first = clerk_client.get(url)
    assert (len(first.context["rows"]), first.context["count"]) == (25, 27)
    assert len(first.context["dismissed_rows"]) == 25
    assert shown(first).count("Page 1 of 2") == 2
    second = clerk_client.get(url + "?page=2&dismissed_page=2")
    assert len(second.context["rows"]) == 2
    assert len(second.context["dismissed_rows"]) == 2
    assert "?page=2&amp;dismissed_page=1#cc-dismissed" in second.content.decode()


def test_the_page_takes_the_same_queries_for_1_or_30_groups(clerk_client, customer, make_contact):
    url = page("contact_duplicates", customer)
    made = 0

    def queries_for(groups):
        nonlocal made
        # Each time as many groups listed as dismissed.
        pairs = make_groups(customer, make_contact, 2 * groups - made, start=made)
        made = 2 * groups
        for pair in pairs[: len(pairs) // 2]:
            dismiss_duplicates(pair)
        clerk_client.get(url)  # the session, the user: read once
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.get(url)
        assert response.context["count"] == groups
        assert len(response.context["dismissed_rows"]) == min(groups, 25)
        return len(queries)

    one = queries_for(1)
    assert queries_for(30) == one


def test_a_dismissal_naming_something_that_is_no_contact_key_breaks_nothing(clerk_client, customer, twins):
    robert, _bob = twins
    dismiss_duplicates(["not-a-key", robert.pk])  # a host's own call, say
    response = clerk_client.get(page("contact_duplicates", customer))
    assert response.status_code == 200
    [row] = response.context["dismissed_rows"]
    assert row["contacts"] == [
        ("Robert Smith", page("contact_edit", customer, pk=robert.pk)),
        ("contact #not-a-key (gone)", ""),
    ]
