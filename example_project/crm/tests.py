"""Checks of the example CRM: ``cd example_project && python manage.py test crm``.

Not part of the app's suite (``tests/``): they keep the example honest — its pages
work, stay staff-only, make a fixed number of queries, and the demo data seeds.
"""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import NotificationCategory
from django_customer_contacts.services import find_duplicate_contacts, merge_contacts

from .models import Case, Customer, Invoice, Note

Contact = get_contact_model()


def make_customer(name: str, *, contacts: int = 1, kind: str = Customer.Kind.BUSINESS) -> Customer:
    """A customer whose first contact (the primary) has an email and a mobile."""
    customer = Customer.objects.create(name=name, kind=kind)
    for index in range(contacts):
        contact = Contact.objects.create(customer=customer, first_name=f"Person{index}", last_name=name.split()[0])
        contact.add_email(f"person{index}@{name.split()[0].lower()}.example")
        if index == 0:
            contact.add_phone(f"07911 {123000 + customer.pk % 1000:06d}")
    return customer


class CrmPagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def count_queries(self, url: str) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(queries), response


class AccessTests(CrmPagesTestCase):
    def test_pages_are_for_staff_with_view_permission(self) -> None:
        customer = make_customer("Acme Ltd")
        case = Case.objects.create(customer=customer, title="Broadband down")
        urls = [
            reverse("crm:customer_list"),
            reverse("crm:customer_detail", args=[customer.pk]),
            reverse("crm:case_list"),
            reverse("crm:case_detail", args=[case.pk]),
        ]
        self.client.logout()
        for url in urls:
            response = self.client.get(url)
            self.assertRedirects(response, f"{reverse('admin:login')}?next={url}", fetch_redirect_response=False)

        user_model = get_user_model()
        staff = user_model.objects.create_user("staff", password="pw", is_staff=True)
        self.client.force_login(staff)
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 403, url)
        staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "view_case"]))
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 200, url)

        self.client.force_login(user_model.objects.create_user("customer", password="pw"))  # not staff
        self.assertEqual(self.client.get(urls[0]).status_code, 302)

    def test_site_root_leads_to_the_customer_list(self) -> None:
        self.assertRedirects(self.client.get("/"), reverse("crm:customer_list"))


class CustomerListTests(CrmPagesTestCase):
    def test_queries_do_not_grow_with_the_number_of_customers(self) -> None:
        for index in range(10):
            make_customer(f"Customer{index:03d} Ltd")
        url = reverse("crm:customer_list")
        with_10, response = self.count_queries(url)
        self.assertContains(response, "Person0 Customer000", html=False)
        self.assertContains(response, 'href="mailto:person0@customer000.example"')
        self.assertContains(response, 'href="tel:+447911')

        for index in range(10, 100):
            make_customer(f"Customer{index:03d} Ltd", contacts=2)
        with_100, response = self.count_queries(url)
        self.assertContains(response, "Person0 Customer099")
        self.assertEqual(with_10, with_100)
        self.assertLessEqual(with_100, 8)

    def test_search_finds_customers_by_contact_email(self) -> None:
        make_customer("Acme Ltd")
        make_customer("Bluebell Bakery")
        response = self.client.get(reverse("crm:customer_list"), {"q": "person0@bluebell"})
        self.assertContains(response, "Bluebell Bakery")
        self.assertNotContains(response, "Acme Ltd")


class CustomerPageTests(CrmPagesTestCase):
    def test_contacts_tab(self) -> None:
        customer = make_customer("Acme Ltd", contacts=3)
        primary, second, third = Contact.objects.for_customer(customer).order_by("pk")
        second.receive_all_notifications = False
        second.save()
        second.notification_categories.add(NotificationCategory.objects.get(code="outages"))
        Note.objects.create(target=second, text="Prefers a call after 2pm.")
        Note.objects.create(target=customer, text="Pays by BACS.")
        one_time = Contact.objects.create(
            customer=customer, scope=Case.objects.create(customer=customer, title="Engineer visit"), first_name="Sam"
        )
        url = reverse("crm:customer_detail", args=[customer.pk])
        queries, response = self.count_queries(url)
        body = response.content.decode()

        # Primary first, every regular contact as an hCard, one-time contacts left out.
        cards = [body.index(f'<span class="fn p-name">{contact.display_name}</span>') for contact in (primary, second)]
        self.assertLess(*cards)
        self.assertEqual(body.count('class="vcard h-card contact-card"'), 3)
        self.assertNotIn(one_time.display_name, body)
        self.assertIn("Prefers a call after 2pm.", body)
        self.assertIn("Pays by BACS.", body)
        # Billing emails reach those who take all notifications, not the outages-only contact.
        billing = body[body.index("Billing emails") : body.index("Outage texts")]
        self.assertIn(primary.display_name, billing)
        self.assertIn(third.display_name, billing)
        self.assertNotIn(second.display_name, billing)

        # A fixed number of queries, whatever the number of contacts and notes.
        for index in range(5):
            contact = Contact.objects.create(customer=customer, first_name=f"Extra{index}", last_name="Acme")
            contact.add_email(f"extra{index}@acme.example")
            contact.add_phone(f"07911 1239{index:02d}")
            Note.objects.create(target=contact, text="Met at the trade show.")
        more_queries, _response = self.count_queries(url)
        self.assertEqual(queries, more_queries)

    def test_cases_and_invoices_tabs(self) -> None:
        customer = make_customer("Acme Ltd")
        billing = Contact.objects.for_customer(customer).get()
        Invoice.objects.create(number="INV-1", customer=customer, billing_contact=billing, amount="12.50")
        case = Case.objects.create(customer=customer, title="Printer offline")
        Contact.objects.create(customer=customer, scope=case, first_name="Sam", last_name="Engineer")
        url = reverse("crm:customer_detail", args=[customer.pk])
        response = self.client.get(url, {"tab": "invoices"})
        self.assertContains(response, "INV-1")
        self.assertContains(response, billing.display_name)
        response = self.client.get(url, {"tab": "cases"})
        self.assertContains(response, "Printer offline")
        self.assertEqual(response.context["cases"][0].one_time_count, 1)


class CasePageTests(CrmPagesTestCase):
    def test_one_time_contacts_watchers_and_recipients(self) -> None:
        customer = make_customer("Acme Ltd", contacts=2)
        primary, watcher = Contact.objects.for_customer(customer).order_by("pk")
        case = Case.objects.create(customer=customer, title="Broadband down")
        case.watchers.add(watcher)
        engineer = Contact.objects.create(customer=customer, scope=case, first_name="Sam", last_name="Sparks")
        engineer.add_email("sam@sparks.example")
        Note.objects.create(target=engineer, text="Has the keys to the comms cabinet.")
        Note.objects.create(target=case, text="Engineer booked for Tuesday.")
        other_case = Case.objects.create(customer=customer, title="Invoice query")
        Contact.objects.create(customer=customer, scope=other_case, first_name="Lee", last_name="Elsewhere")

        _queries, response = self.count_queries(reverse("crm:case_detail", args=[case.pk]))
        body = response.content.decode()
        self.assertIn("Sam Sparks", body)
        self.assertNotIn("Lee Elsewhere", body)
        self.assertIn(watcher.display_name, body)
        self.assertIn("Has the keys to the comms cabinet.", body)
        self.assertIn("Engineer booked for Tuesday.", body)
        recipients = body[body.index("Who an update reaches") : body.index("Notes on this case")]
        self.assertIn('href="mailto:sam@sparks.example"', recipients)  # one-time, for this case
        self.assertIn(primary.display_name, recipients)

        case.status = Case.Status.CLOSED
        case.save()
        body = self.client.get(reverse("crm:case_detail", args=[case.pk])).content.decode()
        recipients = body[body.index("Who an update reaches") : body.index("Notes on this case")]
        self.assertNotIn("sam@sparks.example", recipients)  # the case is over
        self.assertIn(primary.display_name, recipients)

        response = self.client.get(reverse("crm:case_list"), {"one_time": "1", "status": "all"})
        self.assertEqual([row.title for row in response.context["page"]], ["Invoice query", "Broadband down"])


class NoteTests(TestCase):
    def test_notes_move_with_a_merge_and_go_with_a_deleted_contact(self) -> None:
        customer = make_customer("Acme Ltd", contacts=2)
        main, duplicate = Contact.objects.for_customer(customer).order_by("pk")
        note = Note.objects.create(target=duplicate, text="Imported twice.")
        merge_contacts(main, [duplicate])
        note.refresh_from_db()
        self.assertEqual(note.target, main)
        self.assertEqual(list(Note.objects.for_object(main)), [note])

        other = Contact.objects.create(customer=customer, first_name="Temp")
        Note.objects.create(target=other, text="Temporary.")
        other.delete()
        self.assertEqual(Note.objects.count(), 1)
        customer.delete()
        self.assertEqual(Note.objects.count(), 0)


class SeedDemoTests(TestCase):
    def seed(self, *args: str) -> str:
        out = StringIO()
        call_command("seed_demo", "--customers", "30", *args, stdout=out)
        return out.getvalue()

    def test_every_planted_duplicate_is_found_with_its_original(self) -> None:
        output = self.seed()
        planted = int(re.search(r"Duplicates:\s+(\d+) planted groups", output).group(1))  # type: ignore[union-attr]
        copies = set(Contact.objects.filter(notes="Imported from the old address book.").values_list("pk", flat=True))
        groups = [group for group in find_duplicate_contacts() if copies & set(group.contact_ids)]
        self.assertEqual(len(groups), planted)
        self.assertLessEqual(copies, {pk for group in groups for pk in group.contact_ids})
        self.assertTrue(all(set(group.contact_ids) - copies for group in groups))  # each with its original

    def test_seeds_repeatably_and_only_once(self) -> None:
        output = self.seed()
        self.assertIn("Demo data seeded", output)
        self.assertEqual(Customer.objects.count(), 30)
        self.assertEqual(Contact.objects.primary().count(), 30)
        self.assertTrue(Contact.objects.one_time().exists())
        self.assertTrue(Note.objects.exists())
        self.assertTrue(Contact.objects.unused_review().exists())
        snapshot = sorted(Contact.objects.values_list("name_key", "customer__name", "emails__email"), key=str)

        self.assertIn("Nothing seeded", self.seed())
        self.assertEqual(Customer.objects.count(), 30)

        self.seed("--flush")
        reseeded = Contact.objects.values_list("name_key", "customer__name", "emails__email")
        self.assertEqual(sorted(reseeded, key=str), snapshot)


class CustomerContactsPagesTests(CrmPagesTestCase):
    """The app's customer pages, as the CRM includes them: linked from its own pages,
    in its own look (``BASE_TEMPLATE``), one-time contacts for a case (``ONE_TIME_SCOPE``)."""

    def test_the_customer_page_links_to_the_contact_pages_not_the_admin(self) -> None:
        customer = make_customer("Acme Ltd", contacts=2)
        contact = Contact.objects.for_customer(customer).first()
        body = self.client.get(reverse("crm:customer_detail", args=[customer.pk])).content.decode()
        pages = reverse("customer_contacts:contact_list", kwargs={"customer_pk": customer.pk})
        self.assertIn(f'href="{pages}"', body)
        self.assertIn(f'href="{pages}add/"', body)
        self.assertIn(f'href="{pages}{contact.pk}/"', body)
        self.assertNotIn("/admin/customer_contacts/", body)

    def test_the_contact_pages_wear_the_crms_look(self) -> None:
        customer = make_customer("Acme Ltd")
        response = self.client.get(reverse("customer_contacts:contact_list", kwargs={"customer_pk": customer.pk}))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "crm/base.html")
        self.assertContains(response, "Person0 Acme")

    def test_a_one_time_contact_added_from_the_case_page(self) -> None:
        customer = make_customer("Acme Ltd")
        case = Case.objects.create(customer=customer, title="Broadband down")
        case_url = reverse("crm:case_detail", args=[case.pk])
        link = self.client.get(case_url).context["add_one_time_url"]
        self.assertIn(f"scope={case.pk}", link)
        response = self.client.get(link)
        self.assertIn("one_time", response.context["form"].fields)
        data = {
            "first_name": "Sam",
            "last_name": "Sparks",
            "preferred_channel": "any",
            "managed_by": "provider",
            "is_active": "on",
            "receive_all_notifications": "True",
            "one_time": "on",
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "emails-0-email": "sam@sparks.example",
            "emails-0-kind": "work",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
        }
        response = self.client.post(link, data)
        self.assertRedirects(response, case_url, fetch_redirect_response=False)
        sam = Contact.objects.get(first_name="Sam")
        self.assertEqual(sam.scope, case)
        self.assertContains(self.client.get(case_url), "Sam Sparks")

    def test_a_case_of_another_customer_is_no_scope(self) -> None:
        customer, other = make_customer("Acme Ltd"), make_customer("Other Ltd")
        case = Case.objects.create(customer=other, title="Not theirs")
        url = reverse("customer_contacts:contact_add", kwargs={"customer_pk": customer.pk})
        response = self.client.get(url, {"scope": case.pk})
        self.assertNotIn("one_time", response.context["form"].fields)
