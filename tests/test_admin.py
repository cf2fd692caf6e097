"""The admin: pages load, deleting a primary contact is explained, never a 500."""

import pytest
from django.urls import reverse

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import Tag
from tests.admin_helpers import messages_of, url


def customer_url(customer):
    opts = type(customer)._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[customer.pk])


def test_contact_pages_load(staff_client, contact):
    contact.add_email("jane@example.com")
    for page in (url("changelist"), url("add"), url("change", contact.pk), url("history", contact.pk)):
        assert staff_client.get(page).status_code == 200, page


def test_adding_a_contact_with_an_email_in_the_admin(staff_client, customer, admin_user):
    vip = Tag.objects.create(name="VIP")
    data = {
        "customer": customer.pk,
        "title": "dr",
        "first_name": "Jane",
        "last_name": "Smith",
        "managed_by": "provider",
        "preferred_channel": "any",
        "is_active": "on",
        "receive_all_notifications": "on",
        "automated_followups": "on",
        "tags": [vip.pk],
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-email": "Jane@Example.com",
        "emails-0-kind": "work",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "07911 123456",
        "phones-0-kind": "mobile",
    }
    response = staff_client.post(url("add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    contact = get_contact_model().objects.get(last_name="Smith")
    assert contact.display_name == "Dr Jane Smith"
    assert contact.is_primary  # the customer's first contact
    assert contact.email == "Jane@Example.com"
    assert contact.phone.as_e164 == "+447911123456"
    assert contact.email_allowed and contact.sms_allowed
    assert [t.name for t in contact.tags.all()] == ["VIP"]
    assert contact.history.earliest().history_user == admin_user


def test_the_same_email_twice_in_one_admin_form_is_a_form_error(staff_client, customer):
    data = {
        "customer": customer.pk,
        "last_name": "Smith",
        "managed_by": "provider",
        "preferred_channel": "any",
        "emails-TOTAL_FORMS": "2",
        "emails-INITIAL_FORMS": "0",
        "emails-0-email": "jane@example.com",
        "emails-0-kind": "work",
        "emails-1-email": "JANE@example.com",
        "emails-1-kind": "personal",
        "phones-TOTAL_FORMS": "0",
        "phones-INITIAL_FORMS": "0",
    }
    response = staff_client.post(url("add"), data)
    assert response.status_code == 200
    assert "entered twice" in response.content.decode()
    assert not get_contact_model().objects.exists()


def test_deleting_the_primary_in_the_admin_shows_the_reason(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    response = staff_client.post(url("delete", ann.pk), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url("change", ann.pk)
    assert any("Make another contact primary" in m for m in messages_of(response))
    assert get_contact_model().objects.filter(pk=ann.pk).exists()


def test_delete_action_on_the_primary_shows_the_reason(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    response = staff_client.post(
        url("changelist"), {"action": "delete_selected", "_selected_action": [ann.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert any("Make another contact primary" in m for m in messages_of(response))
    assert get_contact_model().objects.count() == 2


def test_delete_action_on_other_contacts_still_deletes(staff_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = staff_client.post(
        url("changelist"), {"action": "delete_selected", "_selected_action": [bob.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not get_contact_model().objects.filter(pk=bob.pk).exists()


def _inline_data(customer, contacts, delete_pk=None):
    data = {
        "name": customer.name,
        "contacts-TOTAL_FORMS": str(len(contacts)),
        "contacts-INITIAL_FORMS": str(len(contacts)),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i, contact in enumerate(contacts):
        data.update(
            {
                f"contacts-{i}-id": contact.pk,
                f"contacts-{i}-customer": customer.pk,
                f"contacts-{i}-title": contact.title,
                f"contacts-{i}-first_name": contact.first_name,
                f"contacts-{i}-last_name": contact.last_name,
                f"contacts-{i}-job_title": contact.job_title,
                f"contacts-{i}-is_active": "on",
            }
        )
        if contact.pk == delete_pk:
            data[f"contacts-{i}-DELETE"] = "on"
    return data


def test_customer_admin_lists_contacts_primary_first(staff_client, customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Zed")
    make_contact(customer, first_name="Bob", last_name="Able")
    response = staff_client.get(customer_url(customer))
    assert response.status_code == 200
    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert [f.instance.first_name for f in forms] == ["Ann", "Bob"]


def test_deleting_the_primary_through_the_customer_inline_is_a_form_error(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = staff_client.post(customer_url(customer), _inline_data(customer, [ann, bob], delete_pk=ann.pk))
    assert response.status_code == 200
    assert "primary contact can" in response.content.decode()
    assert get_contact_model().objects.count() == 2


def test_deleting_another_contact_through_the_customer_inline_works(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = staff_client.post(customer_url(customer), _inline_data(customer, [ann, bob], delete_pk=bob.pk))
    assert response.status_code == 302
    assert list(get_contact_model().objects.all()) == [ann]


# -- the changelist --------------------------------------------------------------------


def _fill(customer_factory, make_contact, rows):
    for i in range(rows):
        contact = make_contact(customer_factory(), first_name=f"P{i}")
        contact.add_email(f"p{i}@example.com")
        contact.add_phone(f"07911 {100000 + i}")


@pytest.mark.parametrize("rows", [10, 100])
def test_changelist_query_count_does_not_grow_with_rows(
    staff_client, make_customer, make_contact, django_assert_max_num_queries, rows
):
    _fill(make_customer, make_contact, rows)
    with django_assert_max_num_queries(6):
        response = staff_client.get(url("changelist"), {"all": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"p{rows - 1}@example.com" in html and f"07911 {100000 + rows - 1}" in html


def test_changelist_shows_primary_email_and_phone(staff_client, contact):
    contact.add_email("first@example.com")
    contact.add_email("second@example.com")
    contact.add_phone("07911 123456")
    html = staff_client.get(url("changelist")).content.decode()
    assert "first@example.com" in html and "second@example.com" not in html
    assert "07911 123456" in html


@pytest.mark.parametrize("term", ["07911 123456", "+44 7911 123456", "+447911123456", "Smith", "jane@EXAMPLE.com"])
def test_search_finds_a_contact_by_name_email_or_phone_as_typed(staff_client, customer, make_contact, term):
    jane = make_contact(customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    jane.add_phone("07911 123456")
    other = make_contact(customer, first_name="Bob", last_name="Jones")
    other.add_phone("07911 123457")
    response = staff_client.get(url("changelist"), {"q": term})
    assert [c.pk for c in response.context["cl"].result_list] == [jane.pk]


def test_filters_for_one_time_categories_and_tags(staff_client, customer, make_contact):
    from django.contrib.contenttypes.models import ContentType

    from django_customer_contacts.models import NotificationCategory

    ann = make_contact(customer, first_name="Ann")
    ann.tags.add(Tag.objects.create(name="VIP"))
    billing = NotificationCategory.objects.get(code="billing")
    ann.notification_categories.add(billing)
    temp = make_contact(
        customer,
        first_name="Temp",
        scope_content_type=ContentType.objects.get_for_model(Tag),
        scope_object_id="1",
    )

    def listed(params):
        return {c.pk for c in staff_client.get(url("changelist"), params).context["cl"].result_list}

    assert listed({"one_time": "yes"}) == {temp.pk}
    assert listed({"one_time": "no"}) == {ann.pk}
    assert listed({"tags__id__exact": Tag.objects.get().pk}) == {ann.pk}
    assert listed({"notification_categories__id__exact": billing.pk}) == {ann.pk}


def test_customer_field_uses_autocomplete_when_the_host_admin_allows(staff_client):
    response = staff_client.get(url("add"))
    assert "admin-autocomplete" in response.content.decode()


# -- set as primary --------------------------------------------------------------------


def _run_action(client, action, pks, query=""):
    return client.post(url("changelist") + query, {"action": action, "_selected_action": pks}, follow=True)


def test_set_primary_action_moves_the_primary(staff_client, customer, make_contact, admin_user):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = _run_action(staff_client, "set_primary", [bob.pk])
    bob.refresh_from_db()
    assert bob.is_primary
    assert any("now the primary contact" in m for m in messages_of(response))
    assert bob.history.latest().history_user == admin_user


def test_set_primary_action_needs_exactly_one_contact(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = _run_action(staff_client, "set_primary", [ann.pk, bob.pk])
    assert any("exactly one" in m for m in messages_of(response))
    ann.refresh_from_db()
    assert ann.is_primary


def test_set_primary_action_refusal_is_a_message(staff_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    gone = make_contact(customer, first_name="Gone", is_active=False)
    # Inactive contacts are listed, and selected, under "Inactive" or "All".
    response = _run_action(staff_client, "set_primary", [gone.pk], "?active=inactive")
    assert response.status_code == 200
    assert any("inactive" in m for m in messages_of(response))
    gone.refresh_from_db()
    assert not gone.is_primary


def test_set_primary_action_needs_its_permission(client, customer, make_contact, django_user_model):
    from django.contrib.auth.models import Permission

    model = get_contact_model()
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[f"view_{model._meta.model_name}", f"change_{model._meta.model_name}"],
        )
    )
    client.force_login(clerk)
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    response = client.get(url("changelist"))
    assert "set_primary" not in response.content.decode()
    _run_action(client, "set_primary", [bob.pk])
    bob.refresh_from_db()
    assert not bob.is_primary

    clerk.user_permissions.add(Permission.objects.get(codename="set_primary_contact"))
    clerk = django_user_model.objects.get(pk=clerk.pk)
    client.force_login(clerk)
    _run_action(client, "set_primary", [bob.pk])
    bob.refresh_from_db()
    assert bob.is_primary


# -- customer-managed contacts -----------------------------------------------------------


@pytest.fixture
def clerk_client(client, django_user_model):
    """Staff with every contact permission except change_customer_managed_contact."""
    from django.contrib.auth.models import Permission

    model = get_contact_model()
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    # The contact model's app (customer_contacts, or the host's when swapped) and the
    # app's own custom permissions, all but the customer-managed one.
    apps = {model._meta.app_label, "customer_contacts"}
    perms = Permission.objects.filter(content_type__app_label__in=apps).exclude(
        codename="change_customer_managed_contact"
    ) | Permission.objects.filter(codename__endswith="customer", content_type__model="customer")
    clerk.user_permissions.add(*perms)
    client.force_login(clerk)
    return client


def test_customer_managed_contact_is_read_only_for_staff_without_the_permission(clerk_client, customer, make_contact):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    response = clerk_client.get(url("change", managed.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    response = clerk_client.post(url("change", managed.pk), {"first_name": "Changed", "last_name": "X"})
    assert response.status_code == 403
    managed.refresh_from_db()
    assert managed.first_name == "Self"
    assert clerk_client.post(url("delete", managed.pk), {"post": "yes"}).status_code == 403
    assert get_contact_model().objects.filter(pk=managed.pk).exists()


def test_provider_managed_contacts_stay_editable_for_the_same_staff(clerk_client, customer, make_contact):
    contact = make_contact(customer)
    response = clerk_client.get(url("change", contact.pk))
    assert response.context["has_change_permission"]


def test_customer_managed_contact_is_editable_with_the_permission(staff_client, customer, make_contact):
    managed = make_contact(customer, managed_by="customer")
    assert staff_client.get(url("change", managed.pk)).context["has_change_permission"]


def test_customer_inline_cannot_change_a_customer_managed_contact(clerk_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    data = _inline_data(customer, [ann, managed])
    data["contacts-1-first_name"] = "Hijacked"
    response = clerk_client.post(customer_url(customer), data)
    assert response.status_code == 302
    managed.refresh_from_db()
    assert managed.first_name == "Self"


# -- unused contacts, export, logins -----------------------------------------------------


def _make_unused(customer, make_contact, count):
    from datetime import timedelta

    from django.utils import timezone

    contacts = [make_contact(customer, first_name=f"Old{i}") for i in range(count)]
    long_ago = timezone.now() - timedelta(days=400)
    get_contact_model().objects.filter(pk__in=[c.pk for c in contacts], is_primary=False).update(created=long_ago)
    return contacts


def test_customer_page_tells_staff_to_review_unused_contacts(staff_client, customer, make_contact, settings):
    settings.CUSTOMER_CONTACTS = {"UNUSED_REVIEW_THRESHOLD": 3}
    make_contact(customer, first_name="Primary")
    _make_unused(customer, make_contact, 3)
    html = staff_client.get(customer_url(customer)).content.decode()
    assert "This customer has 3 unused contacts." in html
    link = html.split('id="unused-contacts-notice"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    listed = staff_client.get(link).context["cl"].result_list
    assert sorted(c.first_name for c in listed) == ["Old0", "Old1", "Old2"]


def test_the_review_notice_and_needs_unused_review_agree_on_one_time_contacts(
    staff_client, customer, make_contact, settings
):
    """One-time contacts count as unused like any other (docs: unused contacts)."""
    from django_customer_contacts.services import needs_unused_review

    settings.CUSTOMER_CONTACTS = {"UNUSED_REVIEW_THRESHOLD": 1}
    make_contact(customer, first_name="Primary")
    visitor = make_contact(customer, first_name="Visitor", scope=customer)
    assert visitor.is_one_time
    get_contact_model().objects.filter(pk=visitor.pk).update(created=visitor.created.replace(year=2000))
    html = staff_client.get(customer_url(customer)).content.decode()
    assert needs_unused_review(customer)
    assert "This customer has 1 unused contact." in html


def test_no_review_notice_below_the_threshold(staff_client, customer, make_contact, settings):
    settings.CUSTOMER_CONTACTS = {"UNUSED_REVIEW_THRESHOLD": 3}
    make_contact(customer, first_name="Primary")
    _make_unused(customer, make_contact, 2)
    assert "unused-contacts-notice" not in staff_client.get(customer_url(customer)).content.decode()


def test_unused_filter_lists_unused_contacts(staff_client, customer, make_contact):
    make_contact(customer, first_name="Primary")
    old = _make_unused(customer, make_contact, 1)[0]
    make_contact(customer, first_name="Fresh")
    listed = staff_client.get(url("changelist"), {"unused": "yes"}).context["cl"].result_list
    assert [c.pk for c in listed] == [old.pk]


def test_export_action_streams_only_consented_contacts(staff_client, customer, make_contact):
    yes = make_contact(customer, first_name="Yes", marketing_consent=True, marketing_consent_source="web form")
    yes.add_email("yes@example.com")
    no = make_contact(customer, first_name="No")
    no.add_email("no@example.com")
    response = staff_client.post(
        url("changelist"), {"action": "export_consented_csv", "_selected_action": [yes.pk, no.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "yes@example.com" in body and "no@example.com" not in body


def test_export_action_needs_its_permission(clerk_client, customer, make_contact):
    from django.contrib.auth.models import Permission

    contact = make_contact(customer, marketing_consent=True, marketing_consent_source="web form")
    Permission.objects.get(codename="export_contact").user_set.clear()
    response = clerk_client.post(
        url("changelist"), {"action": "export_consented_csv", "_selected_action": [contact.pk]}
    )
    assert not response.get("Content-Type", "").startswith("text/csv")


def test_enable_login_action_creates_accounts_and_explains_refusals(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    ann.add_email("ann@example.com")
    bob = make_contact(customer, first_name="Bob")
    response = _run_action(staff_client, "enable_login", [ann.pk, bob.pk])
    ann.refresh_from_db()
    assert ann.user is not None and not ann.user.has_usable_password()
    shown = " ".join(messages_of(response))
    assert "Login enabled for" in shown and "Bob" in shown
    bob.refresh_from_db()
    assert bob.user is None


def test_history_versions_open_for_staff_who_may_only_view(clerk_client, customer, make_contact):
    managed = make_contact(customer, first_name="Self", managed_by="customer")
    managed.job_title = "Owner"
    managed.save()
    history = managed.history.earliest()
    response = clerk_client.get(url("simple_history", managed.pk, history.history_id))
    assert response.status_code == 200, response.status_code
    assert clerk_client.get(url("history", managed.pk)).status_code == 200


def test_set_primary_action_refuses_to_change_customer_managed_contacts(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Self", managed_by="customer")  # the current primary
    bob = make_contact(customer, first_name="Bob")
    response = _run_action(clerk_client, "set_primary", [bob.pk])
    assert any("managed by the customer" in m for m in messages_of(response))
    bob.refresh_from_db()
    assert not bob.is_primary
