"""The merge records in the admin: read-only list and page, Undo merge with its preview.

Also the links that lead there: the contact page's merges, and a Revert on a contact
merged away.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from django_customer_contacts import get_contact_model
from django_customer_contacts.admin import MergeRecordAdmin
from django_customer_contacts.models import ContactEmail, MergeRecord
from django_customer_contacts.services import merge_contacts, unmerge
from tests.admin_helpers import app_permissions, contact_permissions, messages_of, staff_user, url
from tests.merge_fixtures import add_fk_rows, fk_rows, host, table_rows
from tests.test_admin_history import reverting_post, version_url


def record_url(name, *args):
    return reverse(f"admin:customer_contacts_mergerecord_{name}", args=args)


@pytest.fixture
def record(customer, make_contact, admin_user):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    twin = make_contact(customer, first_name="Jane", last_name="Smyth", job_title="Buyer")
    twin.add_email("jane.smyth@example.com")
    add_fk_rows(twin, 2)
    return merge_contacts(jane, [twin], field_sources={"last_name": twin}, user=admin_user, reason="typo")


@pytest.fixture
def undoer(django_user_model):
    """Staff who may change contacts and undo merges."""
    return staff_user(
        django_user_model, "undoer", contact_permissions("view", "change") + app_permissions("unmerge_contact")
    )


@pytest.fixture
def viewer(django_user_model):
    return staff_user(django_user_model, "viewer", contact_permissions("view"))


def test_the_app_registers_the_merge_record_admin():
    assert type(admin.site._registry[MergeRecord]) is MergeRecordAdmin


def test_the_list_shows_when_who_survivor_merged_names_reason_and_undone(client, viewer, record):
    client.force_login(viewer)
    page = client.get(record_url("changelist")).content.decode()
    [twin] = record.merged_ids
    assert f"Jane Smyth (#{twin})" in page
    assert url("change", record.contact_id) in page  # the kept contact, linked
    assert "typo" in page and "admin" in page
    assert 'alt="False"' in page  # not undone


def test_the_page_says_what_moved_in_plain_words(client, viewer, record):
    client.force_login(viewer)
    page = client.get(record_url("change", record.pk)).content.decode()
    [twin] = record.merged_ids
    assert f"{host.fk_model._meta.verbose_name_plural}: 2 moved from Jane Smyth (#{twin}) to the kept contact" in page
    assert f"Last name: from Jane Smyth (#{twin}): Smith → Smyth" in page
    assert "jane.smyth@example.com (work, primary)" in page  # the snapshot, readable
    assert "Buyer" in page
    assert "Undo merge" not in page  # no permission


def test_nobody_adds_changes_or_deletes_records_here(staff_client, record):
    assert staff_client.get(record_url("add")).status_code == 403
    assert staff_client.post(record_url("delete", record.pk), {"post": "yes"}).status_code == 403
    page = staff_client.get(record_url("change", record.pk)).content.decode()
    assert 'name="_save"' not in page
    assert MergeRecord.objects.count() == 1


def test_undo_merge_shows_a_preview_then_undoes(client, undoer, record):
    client.force_login(undoer)
    [twin] = record.merged_ids
    page = client.get(record_url("change", record.pk)).content.decode()
    assert record_url("undo", record.pk) in page
    before = table_rows()
    preview = client.get(record_url("undo", record.pk)).content.decode()
    assert table_rows() == before
    assert f"Jane Smyth (#{twin})" in preview
    assert f"2 back to Jane Smyth (#{twin})" in preview
    assert "Last name: back to Smith" in preview
    response = client.post(record_url("undo", record.pk), {"_undo": "1", "reason": "two people"}, follow=True)
    assert response.status_code == 200
    assert f"Merge #{record.pk} undone: Jane Smyth (#{twin}) is back." in messages_of(response)
    record.refresh_from_db()
    assert record.is_undone and record.undone_by == undoer and record.undo_reason == "two people"
    assert fk_rows(twin).count() == 2
    assert ContactEmail.objects.get(email="jane.smyth@example.com").contact_id == twin
    assert record_url("undo", record.pk) not in response.content.decode()  # done: no button


def test_undo_merge_needs_its_permission(client, viewer, record):
    client.force_login(viewer)
    assert client.get(record_url("undo", record.pk)).status_code == 403
    assert client.post(record_url("undo", record.pk), {"_undo": "1"}).status_code == 403
    assert not MergeRecord.objects.get().is_undone


def test_a_refused_undo_is_a_message_and_changes_nothing(client, undoer, record):
    client.force_login(undoer)
    host.fk_model.objects.filter(pk=fk_rows(record.contact_id).first().pk).delete()
    before = table_rows()
    response = client.post(record_url("undo", record.pk), {"_undo": "1"}, follow=True)
    assert response.status_code == 200
    assert any("was deleted since" in m for m in messages_of(response))
    assert table_rows() == before


def test_undoing_twice_in_the_admin_says_so(client, undoer, record):
    client.force_login(undoer)
    unmerge(record)
    response = client.get(record_url("undo", record.pk), follow=True)
    assert any("was undone already" in m for m in messages_of(response))


def test_a_customer_managed_survivor_needs_that_permission_too(client, undoer, record):
    get_contact_model().objects.filter(pk=record.contact_id).update(managed_by="customer")
    client.force_login(undoer)
    response = client.post(record_url("undo", record.pk), {"_undo": "1"}, follow=True)
    assert any("managed by the customer" in m for m in messages_of(response))
    assert not MergeRecord.objects.get().is_undone


def test_the_contact_page_links_to_its_merges(client, viewer, record, customer, make_contact):
    client.force_login(viewer)
    page = client.get(url("change", record.contact_id)).content.decode()
    link = f"{record_url('changelist')}?contact__id__exact={record.contact_id}"
    assert link in page and "1 merge into this contact" in page
    listed = client.get(link).content.decode()
    assert "Jane Smyth" in listed
    other = make_contact(customer, first_name="Other")
    assert "merges into this contact" not in client.get(url("change", other.pk)).content.decode()


def test_a_revert_of_a_merged_contact_points_to_undo_merge(staff_client, record):
    [twin] = record.merged_ids
    version = get_contact_model().history.filter(id=twin).earliest()
    contact = version.instance
    page = staff_client.get(version_url(twin, version))
    assert any("Undo merge" in m for m in messages_of(page))
    response = staff_client.post(version_url(twin, version), reverting_post(contact), follow=True)
    shown = " ".join(messages_of(response))
    assert "merged into" in shown and record_url("undo", record.pk) in response.content.decode()
    assert not get_contact_model().objects.filter(pk=twin).exists()


def test_a_contact_restored_and_deleted_since_is_reported_deleted(staff_client, record):
    [twin] = record.merged_ids
    unmerge(record)
    fk_rows(twin).delete()
    get_contact_model().objects.get(pk=twin).delete()
    version = get_contact_model().history.filter(id=twin).earliest()
    response = staff_client.post(version_url(twin, version), reverting_post(version.instance), follow=True)
    assert any("was deleted" in m for m in messages_of(response))


def test_the_page_names_the_merged_contacts_tags_and_categories(staff_client, customer, make_contact):
    from django_customer_contacts.models import NotificationCategory, Tag

    main, dup = make_contact(customer), make_contact(customer, first_name="Dora")
    dup.tags.add(Tag.objects.create(name="VIP"))
    dup.notification_categories.add(NotificationCategory.objects.get(code="billing"))
    record = merge_contacts(main, [dup])
    page = staff_client.get(record_url("change", record.pk)).content.decode()
    assert "<th>Tags</th><td>VIP</td>" in page
    assert "<th>Notification categories</th><td>Billing</td>" in page
