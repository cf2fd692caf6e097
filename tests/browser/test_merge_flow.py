"""The admin merge flow, and undoing a merge, end to end in headless Chromium.

Collected when ``CUSTOMER_CONTACTS_BROWSER_TESTS=1``, as the ``browser`` tox env sets
(Debian's chromium, driven by Playwright from PyPI; no browser download).
On failure a screenshot is saved in test-artifacts/.
"""

import os
from pathlib import Path

import pytest
from playwright import sync_api as playwright

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail
from django_customer_contacts.services import merge_contacts

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between browser steps are plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_staff_merges_two_duplicates_in_the_admin(live_server, browser_page, django_user_model, make_customer):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    customer = make_customer("Acme Ltd")
    model = get_contact_model()
    jane = model.objects.create(customer=customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    dup = model.objects.create(customer=customer, first_name="Jane", last_name="Smyth", job_title="Buyer")
    dup.add_email("jane.smith@work.example")
    page = browser_page
    opts = model._meta
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "secret-pw")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/")
        page.check(f"input[name=_selected_action][value='{jane.pk}']")
        page.check(f"input[name=_selected_action][value='{dup.pk}']")
        page.select_option("select[name=action]", "merge_contacts")
        page.click("button[name=index]")

        page.wait_for_selector("#merge-table")
        page.check(f"input[name=main][value='{jane.pk}']")
        page.check(f"input[name=field_last_name][value='{dup.pk}']")
        page.check(f"input[name=field_job_title][value='{dup.pk}']")
        page.fill("#id_reason", "Same person, typo in surname")
        page.click("input[name=_preview]")
        page.wait_for_selector("#merge-preview")
        assert "1 email address moves to" in page.inner_text("#merge-preview")
        page.click("input[name=_merge]")

        page.wait_for_selector(".messagelist")
        assert "Merged 1 contact" in page.inner_text(".messagelist")
        assert page.url.endswith(f"/{jane.pk}/change/")
        emails = {page.input_value(f"#id_emails-{i}-email") for i in range(2)}
        assert emails == {"jane@example.com", "jane.smith@work.example"}
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "merge-flow-failure.png"), full_page=True)
        raise

    assert list(model.objects.values_list("pk", flat=True)) == [jane.pk]
    jane.refresh_from_db()
    assert (jane.last_name, jane.job_title) == ("Smyth", "Buyer")
    assert ContactEmail.objects.filter(contact=jane).count() == 2


@pytest.mark.django_db(transaction=True)
def test_staff_undo_a_merge_from_the_contact_page(live_server, browser_page, django_user_model, make_customer):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    customer = make_customer("Acme Ltd")
    model = get_contact_model()
    jane = model.objects.create(customer=customer, first_name="Jane", last_name="Smith")
    jane.add_email("jane@example.com")
    dup = model.objects.create(customer=customer, first_name="Jane", last_name="Smyth", job_title="Buyer")
    dup.add_email("jane.smith@work.example")
    record = merge_contacts(jane, [dup], reason="Looked the same")
    page = browser_page
    opts = model._meta
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "secret-pw")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/{jane.pk}/change/")
        page.click("a.merge-records-link")
        page.wait_for_selector("#result_list")
        assert f"Jane Smyth (#{dup.pk})" in page.inner_text("#result_list")
        page.click(f"#result_list a[href*='/mergerecord/{record.pk}/change/']")
        assert "Looked the same" in page.inner_text("#content")
        page.click("a.undo-merge-link")

        page.wait_for_selector("#unmerge-preview")
        preview = page.inner_text("#unmerge-preview")
        assert f"Jane Smyth (#{dup.pk})" in preview and "1 back to" in preview
        page.fill("#id_reason", "Two people after all")
        page.click("input[name=_undo]")

        page.wait_for_selector(".messagelist")
        assert f"Merge #{record.pk} undone" in page.inner_text(".messagelist")
        assert page.url.endswith(f"/mergerecord/{record.pk}/change/")
        assert page.locator("a.undo-merge-link").count() == 0
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "unmerge-flow-failure.png"), full_page=True)
        raise

    assert set(model.objects.values_list("pk", flat=True)) == {jane.pk, dup.pk}
    assert ContactEmail.objects.get(email="jane.smith@work.example").contact_id == dup.pk
    record.refresh_from_db()
    assert record.is_undone and record.undo_reason == "Two people after all"
