"""GDPR in the admin: the **Erase personal data** action and page, and the personal-data download."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, ContactPhone, MergeRecord
from django_customer_contacts.services import enable_login
from tests.admin_helpers import app_permissions, contact_permissions, messages_of, staff_user, url
from tests.erasure_fixtures import EMAIL, FIRST, LAST, MERGED_EMAIL, PERSONAL, plant_person, scan_database


@pytest.fixture
def person(customer, make_contact, django_user_model):
    return plant_person(customer, make_contact, django_user_model)


@pytest.fixture
def eraser(django_user_model):
    """Handles erasure requests: may see contacts and erase them, not change them or customer-managed ones."""
    return staff_user(django_user_model, "eraser", contact_permissions("view") + app_permissions("erase_contact"))


def run_action(client, contacts, **extra):
    data = {"action": "erase_personal_data", "_selected_action": [c.pk for c in contacts], **extra}
    return client.post(url("changelist"), data)


def confirm(client, contacts, **extra):
    return client.post(
        url("changelist"),
        {"action": "erase_personal_data", "_selected_action": [c.pk for c in contacts], "post": "yes", **extra},
        follow=True,
    )


def first_name_of(contact):
    return get_contact_model().objects.get(pk=contact.pk).first_name


# -- who may erase --------------------------------------------------------------------------


def test_staff_without_the_erase_permission_cant_erase(client, django_user_model, person):
    clerk = staff_user(
        django_user_model,
        "clerk",
        contact_permissions("view", "add", "change", "delete") + app_permissions("change_customer_managed_contact"),
    )
    client.force_login(clerk)
    changelist = client.get(url("changelist"))
    assert "erase_personal_data" not in changelist.content.decode()
    response = confirm(client, [person])
    assert first_name_of(person) == FIRST
    assert any("No action selected" in message for message in messages_of(response))
    assert client.get(url("erase", person.pk)).status_code == 403
    assert client.post(url("erase", person.pk), {"post": "yes"}).status_code == 403
    assert first_name_of(person) == FIRST
    assert "erase-link" not in client.get(url("change", person.pk)).content.decode()


def test_a_customer_managed_contact_is_refused_without_the_per_object_permission(
    client, eraser, customer, make_contact
):
    make_contact(customer, first_name="Ann", last_name="Primary")
    plain = make_contact(customer, first_name=FIRST, last_name=LAST)
    managed = make_contact(customer, first_name="Selma", last_name="Selfmanaged", managed_by="customer")
    client.force_login(eraser)

    page = run_action(client, [plain, managed])
    assert page.status_code == 200
    refused = page.content.decode().split('class="erase-refused"')[1]
    assert "Selma Selfmanaged" in refused and "managed by the customer" in refused

    response = confirm(client, [plain, managed])
    assert first_name_of(plain) == ""
    assert first_name_of(managed) == "Selma"
    assert any("Selma Selfmanaged was not erased" in message for message in messages_of(response))
    # The change page of the customer-managed contact offers no erasure, and its erase page refuses.
    assert "erase-link" not in client.get(url("change", managed.pk)).content.decode()
    response = client.post(url("erase", managed.pk), {"post": "yes"}, follow=True)
    assert first_name_of(managed) == "Selma"
    assert any("managed by the customer" in message for message in messages_of(response))


def test_a_customer_managed_contact_is_erased_with_the_per_object_permission(client, eraser, customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Primary")
    managed = make_contact(customer, first_name="Selma", last_name="Selfmanaged", managed_by="customer")
    eraser.user_permissions.add(*app_permissions("change_customer_managed_contact"))
    client.force_login(type(eraser).objects.get(pk=eraser.pk))
    confirm(client, [managed])
    assert first_name_of(managed) == ""


# -- the confirmation page ------------------------------------------------------------------


def test_the_confirmation_page_names_what_will_be_erased_and_changes_nothing(client, eraser, person):
    client.force_login(eraser)
    response = run_action(client, [person])
    assert response.status_code == 200
    page = response.content.decode()
    plan = page.split(f'id="erase-plan-{person.pk}"')[1].split("</ul>\n  </div>")[0]
    assert f"Anonymised #{person.pk}" in plan
    for value in (FIRST, LAST, "Zeppelin wrangler", "Prefers calls after 4", "Europe/London", "web form signed by"):
        assert value in plan
    assert f'<span class="erase-emails">{EMAIL}</span>' in plan
    assert '<span class="erase-phones">+447911123456, +442079460018</span>' in plan
    assert "Marketing consent" in plan or "marketing consent" in plan
    assert "Billing" in plan  # the category it leaves
    assert "Becomes inactive." in plan
    twin_pk = MergeRecord.objects.get(contact=person).merged_ids[0]
    assert f"Contacts merged into it, erased with it: #{twin_pk}" in plan
    history = get_contact_model().history.filter(id__in=[person.pk, twin_pk]).count()
    emails = ContactEmail.history.filter(contact_id__in=[person.pk, twin_pk]).count()
    phones = ContactPhone.history.filter(contact_id__in=[person.pk, twin_pk]).count()
    assert (emails, phones) == (6, 4)  # three addresses and two numbers of the person, one of each of the twin
    assert f"History rows scrubbed: {history} of the contact, {emails} of its email addresses, {phones} of its" in plan
    assert "1 merge record blanked." in plan
    assert "1 admin log entry rewritten." in plan
    assert 'name="post" value="yes"' in page
    # Nothing is erased until confirmed.
    assert first_name_of(person) == FIRST
    assert scan_database([EMAIL, MERGED_EMAIL]) != []


def test_the_confirmation_page_escapes_what_it_shows(client, eraser, customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Primary")
    mallory = make_contact(customer, first_name="<script>alert(1)</script>", last_name="Mallory")
    client.force_login(eraser)
    page = run_action(client, [mallory]).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_after_confirming_the_person_is_gone(client, eraser, person):
    client.force_login(eraser)
    response = confirm(client, [person])
    assert any(
        f"Erased the personal data of 1 contact: Anonymised #{person.pk}." in message
        for message in messages_of(response)
    )
    # Only the staff user's own row remains of what the fixture made.
    assert scan_database(PERSONAL) == []
    latest = get_contact_model().history.filter(id=person.pk).latest()
    assert latest.history_change_reason == "GDPR erasure" and latest.history_user == eraser


# -- a refusal: the user account --------------------------------------------------------------


def test_a_contact_with_a_user_account_is_refused_until_its_account_is_unlinked(
    client, eraser, person, django_user_model
):
    account = enable_login(person)
    client.force_login(eraser)

    page = run_action(client, [person]).content.decode()
    refused = page.split('class="erase-refused"')[1]
    assert "has a user account" in refused and "unlink_user=True" not in refused
    assert 'name="post"' not in page  # nothing to erase yet: only "unlink and review again"
    response = confirm(client, [person])
    assert first_name_of(person) == FIRST
    assert any("has a user account" in message for message in messages_of(response))

    page = run_action(client, [person], unlink_user="1").content.decode()
    assert f"Its user account “{account.get_username()}” is unlinked" in page
    assert '<input type="hidden" name="unlink_user" value="1">' in page
    confirm(client, [person], unlink_user="1")
    person.refresh_from_db()
    assert person.first_name == "" and person.user is None
    assert django_user_model.objects.filter(pk=account.pk).exists()


def test_nothing_erasable_selected_goes_back_with_the_reasons(client, eraser, customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Primary")
    managed = make_contact(customer, first_name="Selma", last_name="Selfmanaged", managed_by="customer")
    client.force_login(eraser)
    response = client.post(
        url("changelist"), {"action": "erase_personal_data", "_selected_action": [managed.pk]}, follow=True
    )
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith(url("changelist"))
    assert any("managed by the customer" in message for message in messages_of(response))
    assert first_name_of(managed) == "Selma"


# -- the change page --------------------------------------------------------------------------


def test_the_change_page_erases_one_contact(client, eraser, person):
    client.force_login(eraser)
    change = client.get(url("change", person.pk)).content.decode()
    assert f'href="{url("erase", person.pk)}"' in change
    page = client.get(url("erase", person.pk))
    assert page.status_code == 200 and f'id="erase-plan-{person.pk}"' in page.content.decode()
    response = client.post(url("erase", person.pk), {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == url("change", person.pk)
    assert first_name_of(person) == ""


@pytest.fixture
def few_and_many(customer, make_contact):
    """Two contacts: one with an email and a phone, one with ten of each and ten edits."""
    make_contact(customer, first_name="Ann", last_name="Primary")
    few, many = make_contact(customer, first_name="Few"), make_contact(customer, first_name="Many")
    few.add_email("few@example.org")
    few.add_phone("07911 123100")
    for n in range(10):
        many.add_email(f"many{n}@example.org")
        many.add_phone(f"07911 1230{n:02d}")
        many.notes = f"edit {n}"
        many.save()
    return few, many


def queries_per_contact(contacts, request):
    """The queries ``request(contact)`` reads, per contact (content types looked up afresh each time)."""
    counts = []
    for contact in contacts:
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            assert request(contact).status_code == 200
        counts.append(len(queries))
    return counts


def test_the_confirmation_page_reads_as_many_queries_for_many_rows_as_for_few(client, eraser, few_and_many):
    client.force_login(eraser)
    few, many = queries_per_contact(few_and_many, lambda contact: run_action(client, [contact]))
    assert few == many


def test_the_erase_page_needs_the_view_permission_too(client, django_user_model, person):
    user = staff_user(django_user_model, "blind", app_permissions("erase_contact"))
    client.force_login(user)
    assert client.get(url("erase", person.pk)).status_code == 403
    assert client.post(url("erase", person.pk), {"post": "yes"}).status_code == 403
    assert first_name_of(person) == FIRST


def test_the_erase_page_of_an_unknown_contact_is_a_404(client, eraser, db):
    client.force_login(eraser)
    assert client.get(url("erase", 987654)).status_code == 404


# -- the personal-data download ---------------------------------------------------------------


@pytest.fixture
def exporter(django_user_model):
    return staff_user(django_user_model, "exporter", contact_permissions("view") + app_permissions("export_contact"))


def test_the_download_is_the_subject_access_json(client, exporter, person):
    client.force_login(exporter)
    assert f'href="{url("subject_access", person.pk)}"' in client.get(url("change", person.pk)).content.decode()
    response = client.get(url("subject_access", person.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="contact-{person.pk}-personal-data.json"'
    document = json.loads(response.content)
    assert document["contact_id"] == person.pk and document["format_version"] == 1
    text = response.content.decode().casefold()
    assert all(needle.casefold() in text for needle in PERSONAL)


@pytest.mark.parametrize(
    ("contact_perms", "app_perms"),
    [(["view"], []), ([], ["export_contact"]), (["view", "change"], ["erase_contact"])],
    ids=["view only", "export only", "no export"],
)
def test_the_download_needs_the_view_and_export_permissions(
    client, django_user_model, person, contact_perms, app_perms
):
    user = staff_user(django_user_model, "someone", contact_permissions(*contact_perms) + app_permissions(*app_perms))
    client.force_login(user)
    assert client.get(url("subject_access", person.pk)).status_code == 403
    if contact_perms:
        assert "subject-access-link" not in client.get(url("change", person.pk)).content.decode()


def test_the_download_of_a_customer_managed_contact_needs_no_more(client, exporter, customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Primary")
    managed = make_contact(customer, first_name="Selma", last_name="Selfmanaged", managed_by="customer")
    client.force_login(exporter)
    response = client.get(url("subject_access", managed.pk))
    assert response.status_code == 200 and json.loads(response.content)["contact"]["first_name"] == "Selma"


def test_the_download_reads_as_many_queries_for_many_rows_as_for_few(client, exporter, few_and_many):
    client.force_login(exporter)
    few, many = queries_per_contact(few_and_many, lambda contact: client.get(url("subject_access", contact.pk)))
    assert few == many
