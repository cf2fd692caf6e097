"""Bulk changes on the contact list: tags, notification categories, communication preferences."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import NotificationCategory, Tag
from django_customer_contacts.services import add_tag, set_preferences
from tests.admin_helpers import app_permissions, contact_permissions, messages_of, staff_user, url


@pytest.fixture
def clerk(django_user_model):
    """Staff who may change contacts, but not customer-managed ones."""
    return staff_user(django_user_model, "clerk", contact_permissions("view", "change"))


@pytest.fixture
def people(customer, make_contact):
    return [make_contact(customer, first_name=name) for name in ("Ann", "Bob")]


@pytest.fixture
def vip():
    return Tag.objects.create(name="VIP")


@pytest.fixture
def billing():
    return NotificationCategory.objects.get(code="billing")


def choose(client, action, contacts):
    """The changelist's POST of ``action``: the page to choose what to change."""
    return client.post(url("changelist"), {"action": action, "_selected_action": [c.pk for c in contacts]})


def apply(client, action, contacts, follow=True, **fields):
    data = {"action": action, "_selected_action": [c.pk for c in contacts], "apply": "1", **fields}
    return client.post(url("changelist"), data, follow=follow)


def latest_history(contact):
    return contact.history.order_by("-history_id").first()


def tag_names(contact):
    return sorted(tag.name for tag in contact.tags.all())


def category_codes(contact):
    return sorted(category.code for category in contact.notification_categories.all())


# -- the page to choose ------------------------------------------------------------------


def test_add_tag_shows_a_page_to_choose_the_tag_naming_the_selected_contacts(admin_client, people, vip):
    response = choose(admin_client, "add_tag", people)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Add a tag to the selected contacts" in content
    assert f'<option value="{vip.pk}">VIP</option>' in content
    assert "Ann Smith" in content and "Bob Smith" in content
    assert not people[0].tags.exists()


def test_applying_without_a_choice_shows_the_page_again_and_changes_nothing(admin_client, people):
    response = apply(admin_client, "set_preferences", people, follow=False)
    assert response.status_code == 200
    assert "Choose at least one preference to set." in response.content.decode()
    assert all(latest_history(c).history_type == "+" for c in people)


# -- tags ----------------------------------------------------------------------------------


def test_add_tag_tags_every_selected_contact_and_records_it_in_history(admin_client, admin_user, people, vip):
    response = apply(admin_client, "add_tag", people, tag=vip.pk)
    assert "Tag “VIP” added to 2 contacts." in messages_of(response)
    for contact in people:
        assert tag_names(contact) == ["VIP"]
        row = latest_history(contact)
        assert (row.history_type, row.history_change_reason, row.history_user) == ("~", "Tag “VIP” added", admin_user)


def test_a_contact_that_has_the_tag_already_is_left_alone(admin_client, people, vip):
    ann, bob = people
    ann.tags.add(vip)
    response = apply(admin_client, "add_tag", people, tag=vip.pk)
    assert "Tag “VIP” added to 1 contact." in messages_of(response)
    assert latest_history(ann).history_type == "+"
    assert latest_history(bob).history_change_reason == "Tag “VIP” added"


def test_remove_tag_takes_it_off_the_contacts_that_have_it(admin_client, people, vip):
    ann, bob = people
    ann.tags.add(vip)
    other = Tag.objects.create(name="Reseller")
    ann.tags.add(other)
    response = apply(admin_client, "remove_tag", people, tag=vip.pk)
    assert "Tag “VIP” removed from 1 contact." in messages_of(response)
    assert tag_names(ann) == ["Reseller"]
    assert latest_history(ann).history_change_reason == "Tag “VIP” removed"
    assert latest_history(bob).history_type == "+"


# -- notification categories ---------------------------------------------------------------


def test_opt_in_adds_the_category_to_contacts_that_choose_categories(admin_client, people, billing):
    ann, bob = people
    get_contact_model().objects.filter(pk=ann.pk).update(receive_all_notifications=False)
    response = apply(admin_client, "opt_in_category", people, category=billing.pk)
    assert "1 contact opted in to “Billing”." in messages_of(response)
    assert category_codes(ann) == ["billing"]
    assert category_codes(bob) == []  # receives every category already
    recipients = get_contact_model().objects.recipients(ann.customer, channel="email", category="billing")
    ann.add_email("ann@example.com")
    bob.add_email("bob@example.com")
    assert {c.pk for c in recipients} == {ann.pk, bob.pk}


def test_opt_out_stops_the_category_also_for_contacts_that_received_all(admin_client, people, billing):
    ann, bob = people
    for contact in people:
        contact.add_email(f"{contact.first_name.lower()}@example.com")
    get_contact_model().objects.filter(pk=ann.pk).update(receive_all_notifications=False)
    ann.notification_categories.add(billing)
    response = apply(admin_client, "opt_out_category", people, category=billing.pk)
    assert "2 contacts opted out of “Billing”." in messages_of(response)
    bob.refresh_from_db()
    assert not bob.receive_all_notifications
    assert category_codes(bob) == ["general", "helpdesk", "outages", "usage"]
    assert category_codes(ann) == []
    contacts = get_contact_model().objects
    assert not contacts.recipients(ann.customer, channel="email", category="billing").exists()
    assert contacts.recipients(ann.customer, channel="email", category="outages").get() == bob
    row = latest_history(bob)
    assert (row.history_change_reason, row.receive_all_notifications) == ("Opted out of “Billing”", False)


# -- preferences ---------------------------------------------------------------------------


def test_set_preferences_sets_the_chosen_values_and_leaves_the_others(admin_client, people):
    ann, bob = people
    get_contact_model().objects.filter(pk=bob.pk).update(phone_allowed=True)
    response = apply(admin_client, "set_preferences", people, email_allowed="no", preferred_channel="email")
    assert "Communication preferences changed for 2 contacts." in messages_of(response)
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert (ann.email_allowed, ann.preferred_channel, ann.phone_allowed) == (False, "email", False)
    assert (bob.email_allowed, bob.preferred_channel, bob.phone_allowed) == (False, "email", True)
    row = latest_history(bob)
    assert (row.preferred_channel, row.phone_allowed, row.history_change_reason) == (
        "email",
        True,
        "Communication preferences changed",
    )


def test_an_unknown_channel_is_refused_on_the_page(admin_client, people):
    response = apply(admin_client, "set_preferences", people, follow=False, preferred_channel="pigeon")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    people[0].refresh_from_db()
    assert people[0].preferred_channel == "any"


def test_set_preferences_refuses_bad_values_before_changing_anything(people):
    contacts = get_contact_model().objects.filter(pk__in=[c.pk for c in people])
    with pytest.raises(ValidationError):
        set_preferences(contacts, {"email_allowed": True, "preferred_channel": "pigeon"})
    with pytest.raises(ValueError, match="notes"):
        set_preferences(contacts, {"notes": "x"})
    assert not contacts.filter(email_allowed=True).exists()


@pytest.mark.parametrize(("sms_enabled", "offered"), [(True, True), (False, False)])
def test_the_sms_preference_is_offered_only_with_sms_enabled(admin_client, people, settings, sms_enabled, offered):
    settings.CUSTOMER_CONTACTS = {"SMS_ENABLED": sms_enabled}
    content = choose(admin_client, "set_preferences", people).content.decode()
    assert ('name="sms_allowed"' in content) is offered
    assert ('value="sms"' in content) is offered


# -- permissions -----------------------------------------------------------------------------


def test_customer_managed_contacts_are_refused_and_reported_the_others_changed(
    client, clerk, customer, make_contact, people, vip
):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    client.force_login(clerk)
    page = choose(client, "add_tag", [*people, managed]).content.decode()
    assert "Self Smith is managed by the customer" in page
    response = apply(client, "add_tag", [*people, managed], tag=vip.pk)
    shown = messages_of(response)
    assert "Tag “VIP” added to 2 contacts." in shown
    assert any("Self Smith is managed by the customer" in m for m in shown)
    assert tag_names(managed) == []
    assert latest_history(managed).history_type == "+"


def test_staff_with_the_customer_managed_permission_change_those_contacts(
    client, django_user_model, customer, make_contact, billing
):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    user = staff_user(
        django_user_model,
        "lead",
        contact_permissions("view", "change") + app_permissions("change_customer_managed_contact"),
    )
    client.force_login(user)
    apply(client, "opt_out_category", [managed], category=billing.pk)
    managed.refresh_from_db()
    assert not managed.receive_all_notifications


def test_staff_who_may_only_view_contacts_are_not_offered_the_bulk_changes(client, django_user_model, people, vip):
    viewer = staff_user(django_user_model, "viewer", contact_permissions("view"))
    client.force_login(viewer)
    changelist = client.get(url("changelist")).content.decode()
    assert 'value="add_tag"' not in changelist
    apply(client, "add_tag", people, tag=vip.pk)
    assert tag_names(people[0]) == []


def test_a_service_call_without_user_credits_nobody(people, vip):
    add_tag(get_contact_model().objects.filter(pk=people[0].pk), vip)
    assert latest_history(people[0]).history_user is None


# -- queries -------------------------------------------------------------------------------


def _queries_of(client, action, contacts, **fields):
    with CaptureQueriesContext(connection) as queries:
        response = apply(client, action, contacts, follow=False, **fields)
    assert response.status_code == 302
    return len(queries)


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("add_tag", "tag"),
        ("remove_tag", "tag"),
        ("opt_in_category", "category"),
        ("opt_out_category", "category"),
        ("set_preferences", None),
    ],
)
def test_the_queries_of_a_bulk_change_do_not_grow_with_the_contacts(
    admin_client, make_customer, make_contact, vip, billing, action, field
):
    def contacts(count):
        customer = make_customer()
        made = [make_contact(customer, first_name=f"P{i}") for i in range(count)]
        for contact in made[::2]:
            contact.tags.add(vip)
            contact.notification_categories.add(billing)
        # Half choose their categories: both kinds of contact change.
        get_contact_model().objects.filter(pk__in=[c.pk for c in made[1::2]]).update(receive_all_notifications=False)
        return made

    values = {field: vip.pk if field == "tag" else billing.pk} if field else {"email_allowed": "yes"}
    few, many = contacts(2), contacts(50)
    counted = _queries_of(admin_client, action, few, **values)
    assert _queries_of(admin_client, action, many, **values) == counted
    # The changelist's own (9), the locks and the change (~10); opting out adds every other category.
    assert counted <= 20 + (2 * 4 if action == "opt_out_category" else 0)


def test_a_long_selection_names_the_first_contacts_and_counts_the_rest(
    admin_client, customer, make_contact, vip, settings
):
    people = [make_contact(customer, first_name=f"P{i:03d}") for i in range(103)]
    content = choose(admin_client, "add_tag", people).content.decode()
    assert "103 contacts selected" in content
    assert "P099 Smith" in content and "P100 Smith" not in content
    assert "and 3 more" in content
    assert content.count('name="_selected_action"') == 103
    apply(admin_client, "add_tag", people, tag=vip.pk)
    assert vip.contacts.count() == 103


def test_selecting_all_contacts_across_pages_applies_to_all_of_them(admin_client, customer, make_contact, vip):
    people = [make_contact(customer, first_name=name) for name in ("Ann", "Bob", "Cid")]
    data = {"action": "add_tag", "_selected_action": [people[0].pk], "select_across": "1"}
    page = admin_client.post(url("changelist"), data).content.decode()
    assert '<input type="hidden" name="select_across" value="1">' in page
    admin_client.post(url("changelist"), {**data, "apply": "1", "tag": vip.pk})
    assert vip.contacts.count() == 3
