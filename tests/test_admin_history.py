"""The admin's history version pages: who may revert, and what a revert may change.

A revert is a change of the contact, prefilled with an old version's values: it needs
what a change of that contact needs, it never changes which contact is primary, and it
never brings back a contact that was deleted or merged away.
"""

import pytest
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.services import merge_contacts, set_primary_contact
from tests.admin_helpers import (
    app_permissions,
    contact_permissions,
    form_data,
    messages_of,
    page_form,
    staff_user,
    url,
)


def version_url(contact_pk, version):
    return url("simple_history", contact_pk, version.history_id)


def revert(client, contact_pk, version, **changes):
    """GET the version page as that client sees it, then POST its form (with ``changes``)."""
    page = client.get(version_url(contact_pk, version))
    assert page.status_code == 200, page.status_code
    return client.post(version_url(contact_pk, version), form_data(page_form(page), **changes))


def reverting_post(contact, **values):
    """What a crafted POST of the version page carries: every field, as ``values`` say."""
    data = {
        "customer": str(contact.customer_id),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "managed_by": "provider",
        "preferred_channel": "any",
        "is_active": "on",
        "receive_all_notifications": "on",
        "automated_followups": "on",
    }
    data.update(values)
    return data


@pytest.fixture
def renamed(customer, make_contact):
    """Jane, whose job title changed from "Buyer" to "Owner": her first version is the old one."""
    jane = make_contact(customer, first_name="Jane", job_title="Buyer")
    jane.job_title = "Owner"
    jane.save()
    return jane


@pytest.fixture
def viewer(django_user_model):
    """Staff who may only look at contacts."""
    return staff_user(django_user_model, "viewer", contact_permissions("view"))


@pytest.fixture
def clerk(django_user_model):
    """Staff with every contact permission except change_customer_managed_contact."""
    return staff_user(
        django_user_model,
        "clerk",
        contact_permissions("view", "add", "change", "delete")
        + app_permissions("merge_contact", "set_primary_contact", "export_contact"),
    )


# -- who may revert (item 1) -----------------------------------------------------------


def test_staff_who_may_change_a_contact_can_revert_it(staff_client, renamed, admin_user):
    response = revert(staff_client, renamed.pk, renamed.history.earliest())
    assert response.status_code == 302, page_form(response).errors if response.context else ""
    renamed.refresh_from_db()
    assert renamed.job_title == "Buyer"
    assert renamed.history.latest().history_user == admin_user


def test_view_only_staff_see_versions_without_a_revert_button(client, viewer, renamed):
    client.force_login(viewer)
    response = client.get(version_url(renamed.pk, renamed.history.earliest()))
    assert response.status_code == 200
    assert response.context["revert_disabled"]
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("posted", ["the version's values", "values of their own", "nothing"])
def test_view_only_staff_cannot_revert_or_rewrite_a_contact(client, viewer, renamed, make_customer, posted):
    other_customer = make_customer("Globex")
    data = {
        "the version's values": reverting_post(renamed, job_title="Buyer"),
        "values of their own": reverting_post(
            renamed, customer=str(other_customer.pk), first_name="Mallory", managed_by="customer"
        ),
        "nothing": {},
    }[posted]
    client.force_login(viewer)
    response = client.post(version_url(renamed.pk, renamed.history.earliest()), data)
    assert response.status_code == 403
    renamed.refresh_from_db()
    assert (renamed.first_name, renamed.job_title, renamed.customer_id, renamed.managed_by) == (
        "Jane",
        "Owner",
        renamed.customer_id,
        "provider",
    )
    assert renamed.history.count() == 2


def test_staff_without_the_customer_managed_permission_cannot_revert_such_a_contact(
    client, clerk, customer, make_contact
):
    managed = make_contact(customer, first_name="Self", job_title="Buyer", managed_by="customer")
    managed.job_title = "Owner"
    managed.save()
    version = managed.history.earliest()
    client.force_login(clerk)
    page = client.get(version_url(managed.pk, version))
    assert page.status_code == 200
    assert page.context["revert_disabled"]
    response = client.post(version_url(managed.pk, version), reverting_post(managed, job_title="Buyer"))
    assert response.status_code == 403
    managed.refresh_from_db()
    assert managed.job_title == "Owner"


def test_an_old_provider_managed_version_does_not_unlock_a_customer_managed_contact(
    client, clerk, customer, make_contact
):
    """What counts is the contact as it is now, not the version's ``managed_by``."""
    contact = make_contact(customer, first_name="Jane", job_title="Buyer")
    version = contact.history.earliest()
    contact.managed_by = "customer"
    contact.save()
    client.force_login(clerk)
    assert client.get(version_url(contact.pk, version)).context["revert_disabled"]
    response = client.post(version_url(contact.pk, version), reverting_post(contact))
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.managed_by == "customer"


def test_the_customer_managed_permission_allows_reverting_such_a_contact(staff_client, customer, make_contact):
    managed = make_contact(customer, first_name="Self", job_title="Buyer", managed_by="customer")
    managed.job_title = "Owner"
    managed.save()
    response = revert(staff_client, managed.pk, managed.history.earliest())
    assert response.status_code == 302
    managed.refresh_from_db()
    assert managed.job_title == "Buyer"


@override_settings(SIMPLE_HISTORY_REVERT_DISABLED=True)
def test_no_one_can_revert_when_reverting_is_disabled(staff_client, renamed):
    version = renamed.history.earliest()
    page = staff_client.get(version_url(renamed.pk, version))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = staff_client.post(version_url(renamed.pk, version), reverting_post(renamed, job_title="Buyer"))
    assert response.status_code == 403
    renamed.refresh_from_db()
    assert renamed.job_title == "Owner"


@override_settings(SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS=True)
def test_history_model_permissions_do_not_bypass_the_customer_managed_rule(
    client, django_user_model, customer, make_contact
):
    from django.contrib.auth.models import Permission

    model = get_contact_model()
    history_perms = Permission.objects.filter(
        content_type__app_label=model._meta.app_label,
        codename__in=[f"view_historical{model._meta.model_name}", f"change_historical{model._meta.model_name}"],
    )
    assert history_perms.count() == 2
    user = staff_user(django_user_model, "historian", [*history_perms, *contact_permissions("view", "change")])
    managed = make_contact(customer, first_name="Self", job_title="Buyer", managed_by="customer")
    managed.job_title = "Owner"
    managed.save()
    version = managed.history.earliest()
    client.force_login(user)
    response = client.post(version_url(managed.pk, version), reverting_post(managed, job_title="Buyer"))
    assert response.status_code == 403
    managed.refresh_from_db()
    assert managed.job_title == "Owner"


# -- what a revert may change (item 6) -----------------------------------------------------


def test_reverting_to_a_version_from_when_the_contact_was_primary_keeps_the_current_primary(
    staff_client, customer, make_contact
):
    ann = make_contact(customer, first_name="Ann", job_title="Buyer")
    bob = make_contact(customer, first_name="Bob")
    set_primary_contact(bob)
    ann.refresh_from_db()
    version = ann.history.filter(is_primary=True).earliest()
    response = revert(staff_client, ann.pk, version)
    assert response.status_code == 302
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert (ann.is_primary, bob.is_primary) == (False, True)
    assert ann.history.latest().is_primary is False


def test_reverting_the_primary_to_a_version_from_before_it_was_primary_keeps_it_primary(
    staff_client, customer, make_contact
):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob", job_title="Buyer")
    version = bob.history.earliest()
    set_primary_contact(bob)
    response = revert(staff_client, bob.pk, version)
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.is_primary
    assert bob.job_title == "Buyer"
    assert get_contact_model().objects.filter(customer=customer, is_primary=True).get() == bob


def test_a_deleted_contact_is_not_brought_back_by_a_revert(staff_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    bob.add_email("bob@example.com")
    pk = bob.pk
    version = bob.history.earliest()
    bob.delete()
    page = staff_client.get(version_url(pk, version))
    assert page.status_code == 200  # the history of a deleted contact stays readable
    assert 'name="_save"' not in page.content.decode()
    response = staff_client.post(version_url(pk, version), reverting_post(bob), follow=True)
    assert response.status_code == 200
    assert any("was deleted" in m for m in messages_of(response))
    assert not get_contact_model().objects.filter(pk=pk).exists()


def test_a_merged_contact_is_not_brought_back_by_a_revert(staff_client, customer, make_contact):
    main = make_contact(customer, first_name="Jane", last_name="Smith")
    dup = make_contact(customer, first_name="Jane", last_name="Smyth")
    pk = dup.pk
    version = dup.history.earliest()
    merge_contacts(main, [dup])
    response = staff_client.post(version_url(pk, version), reverting_post(dup), follow=True)
    assert response.status_code == 200
    shown = " ".join(messages_of(response))
    assert "merged into" in shown and str(main) in shown
    assert list(get_contact_model().objects.all()) == [main]


def test_a_revert_keeps_what_the_version_page_does_not_edit(staff_client, customer, make_contact):
    from django.utils import timezone

    from django_customer_contacts.services import record_communication

    jane = make_contact(customer, first_name="Jane", job_title="Buyer")
    version = jane.history.earliest()
    record_communication(jane, channel="email", when=timezone.now())
    jane.refresh_from_db()
    contacted = jane.last_contacted_at
    response = revert(staff_client, jane.pk, version)
    assert response.status_code == 302
    jane.refresh_from_db()
    assert jane.last_contacted_at == contacted
