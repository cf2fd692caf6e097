"""The contact list and a customer's contacts fit a 1366 px wide screen: no horizontal scrolling.

Collected when ``CUSTOMER_CONTACTS_BROWSER_TESTS=1``, as the ``browser`` tox env sets.
On failure a screenshot is saved in test-artifacts/.
"""

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import NotificationCategory, Tag
from tests.browser.test_merge_flow import ARTIFACTS, browser_page  # noqa: F401 (the fixture)

WIDTH = 1366


def _page_width(page):
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


# Django's admin puts the results table in a box that scrolls sideways on its own.
SCROLLING_BOXES = """() => Array.from(document.querySelectorAll('*')).filter(el => {
    const overflow = getComputedStyle(el).overflowX;
    return (overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1;
}).map(el => el.id || el.className || el.tagName)"""


def assert_fits(page):
    assert _page_width(page) <= WIDTH
    assert page.evaluate(SCROLLING_BOXES) == []


@pytest.mark.django_db(transaction=True)
def test_the_contact_list_and_a_customer_page_fit_a_1366_px_screen(
    live_server,
    browser_page,  # noqa: F811
    django_user_model,
    make_customer,
):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "secret-pw")
    customer = make_customer("Worldwide Industrial Holdings International Ltd")
    model = get_contact_model()
    for i, (first, last) in enumerate(
        [("Maximiliane", "Oberstaatsanwaltschaftsrat"), ("Jean-Baptiste", "Delacroix-Montgomery"), ("Ann", "Li")]
    ):
        contact = model.objects.create(
            customer=customer,
            title="prof",
            first_name=first,
            middle_name="Alexandra",
            last_name=last,
            job_title="Head of International Procurement and Logistics",
            managed_by="customer" if i == 1 else "provider",
            marketing_consent=i == 0,
            marketing_consent_source="web form" if i == 0 else "",
        )
        contact.add_email(f"{first.lower()}.{last.lower()}@procurement.worldwide-industrial.example")
        contact.add_phone("+44 20 7946 0018" if i else "07911 123456")
    Tag.objects.create(name="Key account")
    NotificationCategory.objects.create(code="security-notices", name="Security notices and advisories")
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    opts = model._meta
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "secret-pw")
        page.click("input[type=submit]")

        page.goto(f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/")
        page.wait_for_selector("#result_list")
        assert page.locator("#result_list tbody tr").count() == 3
        assert_fits(page)

        page.goto(f"{live_server.url}/admin/crm/customer/{customer.pk}/change/")
        page.wait_for_selector(".inline-group")
        assert_fits(page)

        # The contact page: its sections, the email addresses and phones after the names.
        contact = model.objects.get(first_name="Maximiliane")
        page.goto(f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/{contact.pk}/change/")
        page.wait_for_selector("#contact_form")
        headings = page.locator("#contact_form h2").all_inner_texts()
        assert [h.strip().lower() for h in headings[:3]] == ["name", "email addresses", "phone numbers"]
        assert_fits(page)
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-width.png"), full_page=True)
        raise
