"""Staff create, find and edit tags and notification categories in the admin."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_customer_contacts.admin import NotificationCategoryAdmin, TagAdmin, register_label_admins
from django_customer_contacts.models import NotificationCategory, Tag
from tests.admin_helpers import staff_user


def tag_url(name, *args):
    return reverse(f"admin:customer_contacts_tag_{name}", args=args)


def category_url(name, *args):
    return reverse(f"admin:customer_contacts_notificationcategory_{name}", args=args)


def changelist_rows(response):
    return list(response.context["cl"].result_list)


def test_the_app_registers_tag_and_category_admins():
    assert type(admin.site._registry[Tag]) is TagAdmin
    assert type(admin.site._registry[NotificationCategory]) is NotificationCategoryAdmin


def test_a_registration_the_host_made_itself_is_kept():
    site = admin.AdminSite(name="host")

    class HostTagAdmin(admin.ModelAdmin):
        pass

    site.register(Tag, HostTagAdmin)
    assert register_label_admins(site) == [NotificationCategory]
    assert type(site._registry[Tag]) is HostTagAdmin


def test_tag_list_shows_each_tag_with_its_contact_count_linked_to_the_contacts(admin_client, customer, make_contact):
    vip = Tag.objects.create(name="VIP")
    Tag.objects.create(name="Reseller")
    for name in ("Ann", "Bob"):
        make_contact(customer, first_name=name).tags.add(vip)
    response = admin_client.get(tag_url("changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert [t.name for t in changelist_rows(response)] == ["Reseller", "VIP"]
    assert f"tags__id__exact={vip.pk}" in content
    assert f'tags__id__exact={vip.pk}&amp;active=all">2</a>' in content


@pytest.mark.parametrize("rows", [5, 50])
def test_tag_list_queries_do_not_grow_with_the_rows(
    admin_client, customer, make_contact, django_assert_num_queries, rows
):
    contact = make_contact(customer)
    for i in range(rows):
        Tag.objects.create(name=f"Tag {i}").contacts.add(contact)
    admin_client.get(tag_url("changelist"))  # warm the session and content types
    # session, user, the count, the full count, the rows (tags and their counts in one)
    with django_assert_num_queries(5):
        response = admin_client.get(tag_url("changelist"))
    assert len(changelist_rows(response)) == min(rows, 100)


@pytest.mark.parametrize("rows", [2, 40])
def test_category_list_queries_do_not_grow_with_the_rows(admin_client, django_assert_num_queries, rows):
    for i in range(rows):
        NotificationCategory.objects.create(code=f"cat-{i}", name=f"Category {i}")
    admin_client.get(category_url("changelist"))
    with django_assert_num_queries(5):
        response = admin_client.get(category_url("changelist"))
    assert len(changelist_rows(response)) == rows + 5  # and the five the migration creates


def test_tag_search_finds_by_part_of_the_name(admin_client):
    Tag.objects.create(name="Key account")
    Tag.objects.create(name="Reseller")
    response = admin_client.get(tag_url("changelist"), {"q": "acc"})
    assert [t.name for t in changelist_rows(response)] == ["Key account"]


def test_category_search_finds_by_code(admin_client):
    response = admin_client.get(category_url("changelist"), {"q": "outages"})
    assert [c.code for c in changelist_rows(response)] == ["outages"]


def test_staff_create_and_rename_a_tag(admin_client):
    response = admin_client.post(tag_url("add"), {"name": "  Key   account "})
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert tag.name == "Key account"
    admin_client.post(tag_url("change", tag.pk), {"name": "Key accounts"})
    tag.refresh_from_db()
    assert tag.name == "Key accounts"


def test_a_tag_named_like_another_ignoring_case_is_refused_with_a_message(admin_client):
    Tag.objects.create(name="VIP")
    response = admin_client.post(tag_url("add"), {"name": "vip"})
    assert response.status_code == 200
    assert "A tag with this name already exists." in response.content.decode()
    assert Tag.objects.count() == 1


def test_a_new_category_is_created_with_its_code(admin_client):
    response = admin_client.post(category_url("add"), {"name": "Security notices", "code": "security"})
    assert response.status_code == 302
    assert NotificationCategory.objects.get(code="security").name == "Security notices"


def test_a_category_code_can_not_be_changed_once_created(admin_client):
    billing = NotificationCategory.objects.get(code="billing")
    response = admin_client.post(category_url("change", billing.pk), {"name": "Invoices", "code": "invoices"})
    assert response.status_code == 302
    billing.refresh_from_db()
    assert (billing.name, billing.code) == ("Invoices", "billing")


def test_staff_without_the_tag_permissions_can_not_open_the_tag_pages(client, django_user_model):
    clerk = staff_user(django_user_model, "clerk", [])
    client.force_login(clerk)
    assert client.get(tag_url("changelist")).status_code == 403
    assert client.post(tag_url("add"), {"name": "VIP"}).status_code == 403
    assert not Tag.objects.exists()


def test_staff_with_view_permission_see_tags_but_can_not_add_them(client, django_user_model):
    viewer = staff_user(django_user_model, "viewer", list(Permission.objects.filter(codename="view_tag")))
    client.force_login(viewer)
    assert client.get(tag_url("changelist")).status_code == 200
    assert client.post(tag_url("add"), {"name": "VIP"}).status_code == 403
    assert not Tag.objects.exists()
