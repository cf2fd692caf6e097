"""The contact's history page reads as people speak: labels, names, "system", emails and phones."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tests.admin_helpers import contact_permissions, staff_user, url


def save_as(contact, user):
    """Save, crediting ``user`` in history (simple-history's hook for saves outside a request)."""
    contact._history_user = user
    try:
        contact.save()
    finally:
        del contact._history_user


def history_page(client, contact):
    response = client.get(url("history", contact.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_changes_show_choice_labels_and_language_names(staff_client, contact, admin_user):
    contact.title = "mr"
    contact.language = "en"
    save_as(contact, admin_user)
    contact.title = "dr"
    contact.language = "de"
    contact.email_allowed = True
    save_as(contact, admin_user)
    content = history_page(staff_client, contact)
    assert "<strong>Title:</strong> Mr &rarr; Dr" in content
    assert "<strong>Language:</strong> English &rarr; German" in content
    assert "<strong>Email allowed:</strong> No &rarr; Yes" in content
    assert "&rarr; mr" not in content and "&rarr; de<" not in content


def test_bookkeeping_fields_are_not_listed_as_changes(staff_client, contact):
    contact.last_name = "Jones"
    contact.save()
    content = history_page(staff_client, contact)
    assert "<strong>Last name:</strong> Smith &rarr; Jones" in content
    assert "Modified:" not in content and "Name key:" not in content


def test_a_row_written_without_a_user_says_system(staff_client, contact, admin_user):
    contact.job_title = "Buyer"
    save_as(contact, admin_user)  # and the creation, without a user
    content = history_page(staff_client, contact)
    assert '<span class="history-system">system</span>' in content
    assert ">None<" not in content
    assert admin_user.username in content


def test_email_and_phone_history_is_listed_on_the_contact_history_page(staff_client, contact):
    email = contact.add_email("jane@example.com")
    email.kind = "personal"
    email.save()
    phone = contact.add_phone("+447911123456")
    phone.delete()
    contact.add_phone("+33123456789")
    content = history_page(staff_client, contact)
    table = content[content.index('id="point-history"') :]
    assert "Email address: jane@example.com" in table
    assert "<strong>Kind:</strong> Work &rarr; Personal" in table
    assert "Phone number: 07911 123456" in table
    assert "Phone number: +33 1 23 45 67 89" in table
    assert table.count("<td>Deleted</td>") == 1
    # Newest first.
    assert table.index("+33 1 23 45 67 89") < table.index("jane@example.com")


def test_the_contact_history_lists_only_its_own_emails_and_phones(staff_client, customer, make_contact, contact):
    other = make_contact(customer, first_name="Bob")
    other.add_email("bob@example.com")
    contact.add_email("jane@example.com")
    content = history_page(staff_client, contact)
    assert "jane@example.com" in content and "bob@example.com" not in content


def test_change_reasons_are_escaped(staff_client, contact):
    contact._change_reason = "<b>moved</b>"
    contact.job_title = "Buyer"
    contact.save()
    content = history_page(staff_client, contact)
    assert escape("<b>moved</b>") in content and "<b>moved</b>" not in content


def test_view_only_staff_see_the_email_and_phone_history(client, django_user_model, contact):
    contact.add_email("jane@example.com")
    client.force_login(staff_user(django_user_model, "viewer", contact_permissions("view")))
    assert "Email address: jane@example.com" in history_page(client, contact)


@pytest.mark.parametrize("points", [2, 20])
def test_the_history_page_takes_the_same_queries_however_many_email_changes(staff_client, contact, points):
    def queries_for(count):
        for i in range(count):
            email = contact.add_email(f"jane{i}@example.com")
            email.kind = "other"
            email.save()
        with CaptureQueriesContext(connection) as queries:
            history_page(staff_client, contact)
        return len(queries)

    baseline = queries_for(0)
    assert queries_for(points) == baseline
