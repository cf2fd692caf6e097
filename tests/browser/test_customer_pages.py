"""The customer pages end to end in headless Chromium: add a contact with two emails and
two phones, make it primary by typing "primary", merge two contacts choosing the primary
email, review and delete unused contacts.

Collected when ``CUSTOMER_CONTACTS_BROWSER_TESTS=1``, as the ``browser`` tox env sets.
On failure a screenshot is saved in test-artifacts/.
"""

import datetime

import pytest
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, ContactPhone
from tests.browser.test_merge_flow import ARTIFACTS, browser_page  # noqa: F401 (the fixture)


@pytest.mark.django_db(transaction=True)
def test_staff_walk_through_the_customer_pages(live_server, browser_page, django_user_model, make_customer, settings):  # noqa: F811
    settings.CUSTOMER_CONTACTS = {"UNUSED_REVIEW_THRESHOLD": 2}
    django_user_model.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    customer = make_customer("Acme Ltd")
    model = get_contact_model()
    ann = model.objects.create(customer=customer, first_name="Ann", last_name="Able")  # the primary contact
    dup = model.objects.create(customer=customer, first_name="Jane", last_name="Smyth", job_title="Buyer")
    dup.add_email("jane.smith@work.example")
    old = timezone.now() - datetime.timedelta(days=400)
    stale = [model.objects.create(customer=customer, first_name=name, last_name="Old") for name in ("Olga", "Oscar")]
    model.objects.filter(pk__in=[c.pk for c in stale]).update(created=old)
    contacts = f"{live_server.url}/customers/{customer.pk}/contacts/"
    page = browser_page
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "secret-pw")
        page.click("input[type=submit]")

        # Add a contact with two emails and two phones.
        page.goto(contacts)
        page.click("text=New contact")
        page.fill("#id_first_name", "Jane")
        page.fill("#id_last_name", "Smith")
        page.fill("#id_emails-0-email", "jane@example.com")
        page.fill("#id_emails-1-email", "jane@home.example")
        page.select_option("#id_emails-1-kind", "personal")
        page.fill("#id_phones-0-number", "07911 123456")
        page.fill("#id_phones-1-number", "020 7946 0018")
        page.select_option("#id_phones-1-kind", "work")
        page.click("button:has-text('Create contact')")
        page.wait_for_selector(".cc-success")
        assert "Jane Smith was added." in page.inner_text(".cc-messages")
        jane = model.objects.get(last_name="Smith")
        assert sorted(ContactEmail.objects.filter(contact=jane).values_list("email", flat=True)) == [
            "jane@example.com",
            "jane@home.example",
        ]
        assert ContactPhone.objects.filter(contact=jane).count() == 2

        # Make her the primary contact, typing "primary".
        page.click(f"#cc-contacts a[href$='/{jane.pk}/']")
        page.click("text=Set as primary contact")
        page.fill("#id_confirm", "primry")
        page.click("button:has-text('Set as primary contact')")
        page.wait_for_selector(".cc-errors")
        page.fill("#id_confirm", "primary")
        page.click("button:has-text('Set as primary contact')")
        page.wait_for_selector(".cc-success")
        assert "Jane Smith is now the primary contact." in page.inner_text(".cc-messages")
        assert model.objects.get(pk=jane.pk).is_primary and not model.objects.get(pk=ann.pk).is_primary

        # Merge the duplicate into her, keeping the duplicate's address as the primary one.
        page.goto(contacts)
        merge = page.locator("button:has-text('Merge contacts')")
        page.check(f"#cc-select-{jane.pk}")
        assert merge.is_disabled()  # one selected
        page.check(f"#cc-select-{dup.pk}")
        assert merge.is_enabled()
        merge.click()
        page.wait_for_selector("#merge-table")
        assert "jane.smith@work.example" in page.inner_text("#merge-table")
        page.check(f"input[name=main][value='{jane.pk}']")
        page.check(f"input[name=field_job_title][value='{dup.pk}']")
        page.check("input[name=primary_email][value='jane.smith@work.example']")
        page.click("button[name=preview]")
        page.wait_for_selector("#merge-preview")
        preview = page.inner_text("#merge-preview")
        assert "1 email address moves to Jane Smith." in preview
        assert "The primary email address is jane.smith@work.example." in preview
        page.click("button[name=merge]")
        page.wait_for_selector(".cc-success")
        assert "Merged 1 contact into Jane Smith." in page.inner_text(".cc-messages")
        jane.refresh_from_db()
        assert jane.email == "jane.smith@work.example" and jane.job_title == "Buyer"
        assert not model.objects.filter(pk=dup.pk).exists()

        # Review the unused contacts and delete them.
        page.goto(contacts)
        page.click("#cc-unused-notice a")
        for contact in stale:
            page.check(f"#cc-unused input[name=ids][value='{contact.pk}']")
        page.click("button:has-text('Delete contacts')")
        page.wait_for_selector("#cc-confirm-delete")
        page.click("#cc-confirm-delete button[name=confirm]")
        page.wait_for_selector(".cc-success")
        assert "Deleted 2 contacts." in page.inner_text(".cc-messages")
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "customer-pages-failure.png"), full_page=True)
        raise

    assert sorted(model.objects.values_list("first_name", flat=True)) == ["Ann", "Jane"]
