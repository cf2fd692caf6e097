"""Every admin action checks each selected contact, and a refusal names the real reason."""

import pytest
from django.contrib.auth.models import Permission

from django_customer_contacts import get_contact_model
from tests.admin_helpers import app_permissions, contact_permissions, messages_of, staff_user, url


def run_action(client, action, contacts, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in contacts], **extra}
    return client.post(url("changelist"), data, follow=True)


def add_user_permission(django_user_model):
    opts = django_user_model._meta
    return Permission.objects.get(content_type__app_label=opts.app_label, codename=f"add_{opts.model_name}")


@pytest.fixture
def clerk(django_user_model):
    """Staff with every contact permission and auth's add_user, but not change_customer_managed_contact."""
    return staff_user(
        django_user_model,
        "clerk",
        contact_permissions("view", "add", "change", "delete")
        + app_permissions("merge_contact", "set_primary_contact", "export_contact")
        + [add_user_permission(django_user_model)],
    )


@pytest.fixture
def pair(customer, make_contact):
    """Ann (primary, managed by the provider) and Self (managed by the customer), each with an email."""
    ann = make_contact(customer, first_name="Ann")
    ann.add_email("ann@example.com")
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    managed.add_email("self@example.com")
    return ann, managed


# -- enable_login (item 8) ---------------------------------------------------------------


def test_enable_login_skips_customer_managed_contacts_for_staff_without_the_permission(client, clerk, pair):
    ann, managed = pair
    client.force_login(clerk)
    response = run_action(client, "enable_login", [ann, managed])
    ann.refresh_from_db()
    managed.refresh_from_db()
    assert ann.user is not None
    assert managed.user is None
    refusals = [m for m in messages_of(response) if "Self" in m and "Login enabled" not in m]
    assert refusals and "managed by the customer" in refusals[0]


def test_enable_login_on_customer_managed_contacts_with_the_permission(client, clerk, pair, django_user_model):
    _ann, managed = pair
    clerk.user_permissions.add(*app_permissions("change_customer_managed_contact"))
    client.force_login(django_user_model.objects.get(pk=clerk.pk))
    run_action(client, "enable_login", [managed])
    managed.refresh_from_db()
    assert managed.user is not None


# -- refusals name the real reason (low) -------------------------------------------------------


def test_set_primary_refusal_names_the_missing_change_permission(client, django_user_model, pair):
    ann, _managed = pair
    bob = get_contact_model().objects.create(customer=ann.customer, first_name="Bob")
    user = staff_user(django_user_model, "picker", contact_permissions("view") + app_permissions("set_primary_contact"))
    client.force_login(user)
    response = run_action(client, "set_primary", [bob])
    shown = " ".join(messages_of(response))
    assert "permission to change contacts" in shown
    assert "managed by the customer" not in shown
    bob.refresh_from_db()
    assert not bob.is_primary


def test_set_primary_refusal_names_the_customer_managed_contact(client, clerk, pair):
    ann, managed = pair
    client.force_login(clerk)
    response = run_action(client, "set_primary", [managed])
    shown = " ".join(messages_of(response))
    assert "Self Smith is managed by the customer" in shown
    ann.refresh_from_db()
    assert ann.is_primary


def test_merge_refusal_names_the_missing_permissions(client, django_user_model, customer, make_contact):
    jane = make_contact(customer, first_name="Jane")
    dup = make_contact(customer, first_name="Jane", last_name="Smyth")
    user = staff_user(django_user_model, "merger", contact_permissions("view") + app_permissions("merge_contact"))
    client.force_login(user)
    response = client.post(f"{url('merge')}?ids={jane.pk},{dup.pk}", {"main": jane.pk, "_merge": "1"}, follow=True)
    shown = " ".join(messages_of(response))
    assert "permission to change contacts" in shown and "permission to delete contacts" in shown
    assert "managed by the customer" not in shown
    assert get_contact_model().objects.count() == 2


def test_merge_refusal_names_the_customer_managed_contact(client, clerk, pair):
    ann, managed = pair
    client.force_login(clerk)
    response = client.post(f"{url('merge')}?ids={ann.pk},{managed.pk}", {"main": ann.pk, "_merge": "1"}, follow=True)
    shown = " ".join(messages_of(response))
    assert "Self Smith is managed by the customer: you can view it but not delete it." in shown
    assert get_contact_model().objects.count() == 2


# -- delete and export, audited -------------------------------------------------------------


def test_delete_action_deletes_nothing_when_one_contact_is_customer_managed(client, clerk, customer, pair):
    _ann, managed = pair
    bob = get_contact_model().objects.create(customer=customer, first_name="Bob")
    client.force_login(clerk)
    confirmation = run_action(client, "delete_selected", [bob, managed])
    assert "permission to delete" in confirmation.content.decode()
    assert run_action(client, "delete_selected", [bob, managed], post="yes").status_code == 403
    assert get_contact_model().objects.filter(pk__in=[bob.pk, managed.pk]).count() == 2


def test_delete_action_deletes_contacts_the_staff_may_delete(client, clerk, customer, pair):
    bob = get_contact_model().objects.create(customer=customer, first_name="Bob")
    client.force_login(clerk)
    run_action(client, "delete_selected", [bob], post="yes")
    assert not get_contact_model().objects.filter(pk=bob.pk).exists()


def test_export_reads_customer_managed_contacts_too(client, clerk, customer, make_contact):
    """Exporting is reading: customer-managed contacts are read-only, not hidden."""
    managed = make_contact(
        customer, first_name="Self", managed_by="customer", marketing_consent=True, marketing_consent_source="web"
    )
    managed.add_email("self@example.com")
    client.force_login(clerk)
    response = client.post(url("changelist"), {"action": "export_consented_csv", "_selected_action": [managed.pk]})
    assert b"self@example.com" in b"".join(response.streaming_content)
