"""Who may use the customer pages: login, the host's CUSTOMER_ACCESS hook, each page's
permission, contacts of other customers (404), keys that aren't keys (404), CSRF."""

import html

import pytest
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import DuplicateDismissal
from tests.pages.helpers import make_staff, new_contact_data, page

#: Every page, by URL name: whether it is about one contact.
PAGES = {
    "contact_list": False,
    "contact_add": False,
    "contact_merge": False,
    "contact_unused": False,
    "contact_duplicates": False,
    "contact_export": False,
    "contact_edit": True,
    "contact_delete": True,
    "contact_set_primary": True,
    "contact_login": True,
}
#: The pages that change something when POSTed.
POSTED = ["contact_add", "contact_edit", "contact_delete", "contact_set_primary", "contact_login", "contact_merge"]
POSTED_ALSO = [*POSTED, "contact_unused", "contact_duplicates"]


@pytest.fixture
def pair(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    ann.add_email("ann@example.com")
    bob = make_contact(customer, first_name="Bob")
    return ann, bob


def url_of(name, customer, pair):
    ann, bob = pair
    if PAGES[name]:
        # Bob: not the primary contact, so every page has something to show.
        return page(name, customer, pk=bob.pk)
    if name == "contact_merge":
        return f"{page(name, customer)}?ids={ann.pk}&ids={bob.pk}"
    return page(name, customer)


def post_data(name, pair):
    ann, bob = pair
    return {
        "contact_add": new_contact_data(first_name="New"),
        "contact_edit": new_contact_data(first_name="Changed"),
        "contact_set_primary": {"confirm": "primary"},
        "contact_login": {"action": "enable"},
        "contact_merge": {"main": ann.pk, "merge": "1"},
        "contact_unused": {"ids": [bob.pk], "confirm": "1"},
        "contact_duplicates": {"dismiss": f"{ann.pk},{bob.pk}"},
        "contact_delete": {},
    }[name]


def state():
    """What the pages could change: every contact's name, primary flag and user; the pairs
    dismissed as not duplicates."""
    return (
        sorted(get_contact_model().objects.values_list("pk", "first_name", "is_primary", "user_id")),
        sorted(DuplicateDismissal.objects.values_list("first_contact_id", "second_contact_id")),
    )


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_sends_anonymous_users_to_the_login_page(client, customer, pair, name):
    response = client.get(url_of(name, customer, pair))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_opens_for_staff_with_the_permissions(clerk_client, customer, pair, name):
    assert clerk_client.get(url_of(name, customer, pair)).status_code == 200


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_customer_the_host_hook_refuses_is_a_404(clerk, customer, pair, name):
    client = Client()
    client.force_login(clerk)
    with override_settings(CUSTOMER_CONTACTS={"CUSTOMER_ACCESS": "tests.pages.hooks.own_customers_only"}):
        assert client.get(url_of(name, customer, pair)).status_code == 404
        clerk.groups.add(Group.objects.create(name=f"customer:{customer.pk}"))
        assert client.get(url_of(name, customer, pair)).status_code == 200


@pytest.mark.parametrize("name", POSTED_ALSO)
def test_a_post_for_a_customer_the_hook_refuses_changes_nothing(clerk, customer, pair, name):
    client = Client()
    client.force_login(clerk)
    before = state()
    with override_settings(CUSTOMER_CONTACTS={"CUSTOMER_ACCESS": "tests.pages.hooks.own_customers_only"}):
        assert client.post(url_of(name, customer, pair), post_data(name, pair)).status_code == 404
    assert state() == before


@pytest.mark.parametrize("name", sorted(PAGES))
def test_by_default_only_staff_see_the_pages(django_user_model, customer, pair, name):
    outsider = make_staff(django_user_model, "outsider")
    outsider.is_staff = False
    outsider.save()
    client = Client()
    client.force_login(outsider)
    assert client.get(url_of(name, customer, pair)).status_code == 404


@pytest.mark.parametrize(
    "name", ["contact_add", "contact_delete", "contact_set_primary", "contact_login", "contact_merge", "contact_export"]
)
def test_pages_deny_staff_without_their_permission(viewer_client, customer, pair, name):
    assert viewer_client.get(url_of(name, customer, pair)).status_code == 403


@pytest.mark.parametrize("name", POSTED_ALSO)
def test_changes_are_denied_to_staff_without_the_permission_and_change_nothing(viewer_client, customer, pair, name):
    before = state()
    response = viewer_client.post(url_of(name, customer, pair), post_data(name, pair))
    assert response.status_code == 403
    assert state() == before


def test_view_only_staff_see_a_contact_read_only(viewer_client, customer, pair):
    response = viewer_client.get(url_of("contact_edit", customer, pair))
    assert response.status_code == 200
    assert "You don't have permission to change contacts." in html.unescape(response.content.decode())
    assert all(field.field.disabled for _label, fields in response.context["groups"] for field in fields)


@pytest.mark.parametrize("name", [name for name, about_one in PAGES.items() if about_one])
def test_a_contact_of_another_customer_is_a_404(clerk_client, customer, make_customer, make_contact, name):
    stranger = make_contact(make_customer("Other Ltd"), first_name="Stranger")
    before = state()
    assert clerk_client.get(page(name, customer, pk=stranger.pk)).status_code == 404
    assert clerk_client.post(page(name, customer, pk=stranger.pk), {"confirm": "primary"}).status_code == 404
    assert state() == before


def test_merging_a_contact_of_another_customer_is_a_404(clerk_client, customer, make_customer, make_contact, pair):
    stranger = make_contact(make_customer("Other Ltd"), first_name="Stranger")
    url = f"{page('contact_merge', customer)}?ids={pair[0].pk}&ids={stranger.pk}"
    assert clerk_client.get(url).status_code == 404
    assert clerk_client.post(url, {"main": pair[0].pk, "merge": "1"}).status_code == 404
    assert get_contact_model().objects.filter(pk=stranger.pk).exists()


def test_exporting_or_deleting_contacts_of_another_customer_is_refused(
    clerk_client, customer, make_customer, make_contact, pair
):
    stranger = make_contact(
        make_customer("Other Ltd"),
        first_name="Stranger",
        marketing_consent=True,
        marketing_consent_source="web",
        email_allowed=True,
    )
    stranger.add_email("stranger@example.com")
    for params in ({"ids": stranger.pk}, {"ids": [pair[0].pk, stranger.pk], "download": "1"}):
        assert clerk_client.get(page("contact_export", customer), params).status_code == 404
    clerk_client.post(page("contact_unused", customer), {"ids": [stranger.pk], "confirm": "1"})
    assert get_contact_model().objects.filter(pk=stranger.pk).exists()


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999999", "-1"])
def test_keys_that_arent_keys_are_a_404(clerk_client, customer, pair, value):
    assert clerk_client.get(page("contact_edit", customer, pk=value)).status_code == 404
    other = page("contact_list", customer).replace(f"/{customer.pk}/", f"/{value}/")
    assert clerk_client.get(other).status_code == 404


@pytest.mark.parametrize("name", POSTED_ALSO)
def test_every_change_needs_the_csrf_token(clerk, customer, pair, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    before = state()
    response = client.post(url_of(name, customer, pair), post_data(name, pair))
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert state() == before
