"""``manage.py seed_demo``: fill an empty database with a believable, repeatable demo CRM.

The same data every run (``random.Random(42)``; only dates move with today): 300
customers, private and business (a few with dozens of staff), about 2,400 contacts with
emails, phones, preferences, categories and tags, invoices and cases that point at
contacts, one-time contacts on some cases, notes on contacts, customers and cases,
planted duplicate contacts to find and merge, and contacts nobody has reached for
years, so that some customers are due a review of unused contacts.

How the rows are written:

* The bulk of the contacts, with their emails and phones, are built in memory the way
  the model API would leave them (first contact primary, first email and phone
  primary, ``*_allowed`` ticked by the first contact point, ``name_key`` and the
  blocking keys of duplicate detection), validated
  field by field, and written with ``bulk_create_with_history()``: a history row
  each, dated when the contact was created. Creating 2,000 contacts one ``save()`` at
  a time would take a minute.
* Everything that shows the app's behaviour goes through the model API and the
  services: the planted duplicates (``save()``, ``add_email()``, ``add_phone()``,
  ``set_primary_contact()``), one-time contacts (``scope=case``), the contacts planted
  for the review of unused contacts, and ``record_communication()`` for every invoice
  emailed and every case update sent.
* Customers, invoices, cases, case watchers and notes are plain rows, bulk-created.
"""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm import demo_data as data
from crm.models import Case, Customer, Invoice, Note
from django_customer_contacts import get_contact_model
from django_customer_contacts.conf import app_settings
from django_customer_contacts.models import ContactEmail, ContactPhone, NotificationCategory, Tag
from django_customer_contacts.normalize import email_key, name_key
from django_customer_contacts.services import record_communication, set_primary_contact

SEED = 42
BATCH_SIZE = 500


def ascii_slug(text: str, sep: str = "") -> str:
    """``"O'Neill"`` -> ``"oneill"``, ``"Lefèvre Conseil"`` -> ``"lefevre-conseil"`` (sep="-")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in plain.lower().split()]
    return sep.join(word for word in words if word)


@dataclass
class Person:
    first: str
    last: str
    sex: str
    lang: str
    middle: str = ""
    title: str = ""


@dataclass
class SeededContact:
    """A contact the seeder plans (then saves), with what it needs to plant duplicates later."""

    contact: Any
    person: Person
    emails: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    role: str | None = None
    # (ContactEmail or ContactPhone, value, kind) in the order they are added: the first
    # of each model becomes primary.
    points: list[tuple[type, str, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class SeededCustomer:
    customer: Customer
    lang: str
    town: tuple[str, str] | None
    domain: str = ""
    contacts: list[SeededContact] = field(default_factory=list)
    duplicates: list[Any] = field(default_factory=list)
    unused: list[Any] = field(default_factory=list)


class DemoSeeder:
    """Builds the demo data. One instance, one run; all randomness comes from ``rng``."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.contact_model = get_contact_model()
        self.customers: list[SeededCustomer] = []
        self.used_phones: set[str] = set()
        self.used_private_emails: set[str] = set()
        self.business_names: set[str] = set()
        self.categories = {category.code: category for category in NotificationCategory.objects.all()}
        missing = {code for codes in data.ROLE_CATEGORIES.values() for code in codes} - set(self.categories)
        if missing:
            raise CommandError(
                f"Notification categories {', '.join(sorted(missing))} are missing: run `manage.py migrate`."
            )
        self.tags = {name: self._tag(name) for name in data.TAGS}
        self.duplicate_groups = 0
        self.duplicate_contacts = 0
        self.one_time_contacts: list[Any] = []
        self.communications = 0

    # -- small helpers ---------------------------------------------------------------

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def weighted(self, options: dict[Any, float]) -> Any:
        return self.rng.choices(list(options), weights=list(options.values()))[0]

    def moment_after(self, start: datetime) -> datetime:
        """A random moment between ``start`` and now."""
        span = max(int((self.now - start).total_seconds()), 1)
        return start + timedelta(seconds=self.rng.randrange(span))

    @staticmethod
    def _tag(name: str) -> Tag:
        tag = Tag.objects.filter(name_key=name.casefold()).first()
        if tag is None:
            tag = Tag(name=name)
            tag.full_clean()
            tag.save()
        return tag

    def person(self, lang: str, *, last: str | None = None, sex: str | None = None) -> Person:
        sex = sex or self.rng.choice(["f", "m"])
        first = self.rng.choice(data.FIRST_NAMES[lang][sex])
        person = Person(first=first, last=last or self.rng.choice(data.LAST_NAMES[lang]), sex=sex, lang=lang)
        if lang == "en" and self.chance(0.12):
            person.middle = self.rng.choice(data.MIDDLE_NAMES[sex])
        if self.chance(0.02):
            person.title = "mx"
        elif sex == "f":
            person.title = self.weighted({"mrs": 3, "ms": 4, "miss": 1, "dr": 0.6, "prof": 0.1, "": 2})
        else:
            person.title = self.weighted({"mr": 8, "dr": 0.8, "prof": 0.2, "": 2})
        return person

    def mobile(self, lang: str) -> str:
        """A valid mobile number in national (UK) or international format, unused so far."""
        while True:
            if lang == "de":
                prefix = self.rng.choice(["151", "152", "160", "170", "171", "176"])
                number = f"+49 {prefix} {self.rng.randrange(10**7, 10**8)}"
            elif lang == "fr":
                digits = "".join(str(self.rng.randrange(10)) for _ in range(8))
                number = f"+33 {self.rng.choice('67')} {' '.join(digits[i : i + 2] for i in range(0, 8, 2))}"
            else:
                number = f"{self.rng.choice(data.UK_MOBILE_PREFIXES)} {self.rng.randrange(10**5, 10**6)}"
            if self._claim_phone(number):
                return number

    def landline(self, lang: str, town: tuple[str, str] | None) -> str:
        """A valid landline: Ofcom's drama ranges in the UK, the town's area where known."""
        while True:
            if lang == "de":
                number = f"+49 30 9018{self.rng.randrange(10**4):04d}"
            elif lang == "fr":
                number = f"+33 1 40 20 {self.rng.randrange(100):02d} {self.rng.randrange(100):02d}"
            else:
                prefix = (town or self.rng.choice(data.TOWNS))[1]
                number = f"{prefix}{self.rng.randrange(1000):03d}"
            if self._claim_phone(number):
                return number

    def _claim_phone(self, number: str) -> bool:
        parsed = phonenumbers.parse(number, "GB")
        key = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if key in self.used_phones or not phonenumbers.is_valid_number(parsed):
            return False
        self.used_phones.add(key)
        return True

    # -- customers ---------------------------------------------------------------------

    def create_customers(self, count: int) -> None:
        rows: list[SeededCustomer] = []
        for _ in range(count):
            roll = self.rng.random()
            created = self.now - timedelta(days=self.rng.randint(20, 1500), seconds=self.rng.randrange(86400))
            if roll < 0.42:
                holder = self.person("en")
                town = self.rng.choice(data.TOWNS)
                customer = Customer(name=f"{holder.first} {holder.last}", kind=Customer.Kind.PRIVATE, created=created)
                seeded = SeededCustomer(customer, "en", town)
                seeded.contacts.append(SeededContact(None, holder))  # the account holder, created later
            else:
                lang = "en" if roll >= 0.50 else self.rng.choice(["de", "fr"])
                name, town = self.business_name(lang)
                customer = Customer(name=name, kind=Customer.Kind.BUSINESS, created=created)
                seeded = SeededCustomer(customer, lang, town, domain=f"{self.domain_for(name)}.example")
            rows.append(seeded)
        Customer.objects.bulk_create([seeded.customer for seeded in rows])
        self.customers = rows

    def business_name(self, lang: str) -> tuple[str, tuple[str, str] | None]:
        while True:
            town = None
            if lang != "en":
                word, suffix = self.rng.choice(data.FOREIGN_COMPANIES[lang])
                last = self.rng.choice(data.LAST_NAMES[lang])
                name = f"{last} {word} {suffix}" if lang == "de" else f"{word} {last} {suffix}"
            else:
                town = self.rng.choice(data.TOWNS)
                trade = self.rng.choice(data.TRADES)
                suffix = self.rng.choice(data.COMPANY_SUFFIXES)
                pattern = self.rng.randrange(4)
                if pattern == 0:
                    first, second = self.rng.sample(data.LAST_NAMES["en"], 2)
                    name = f"{first} & {second} {trade}"
                elif pattern == 1:
                    name = f"{town[0]} {trade} {suffix}"
                elif pattern == 2:
                    name = f"{self.rng.choice(data.BRAND_WORDS)} {trade} {suffix}"
                else:
                    name = f"{self.rng.choice(data.LAST_NAMES['en'])} {trade} {suffix}"
            name = " ".join(name.split())
            if name not in self.business_names:
                self.business_names.add(name)
                return name, town

    @staticmethod
    def domain_for(name: str) -> str:
        legal = {"ltd", "llp", "plc", "co", "group", "gmbh", "kg", "ag", "mbb", "sarl", "sas", "sa", "partner"}
        words = [ascii_slug(word) for word in name.replace("&", " ").split()]
        words = [word for word in words if word and word not in legal]
        return "-".join(words[:3])

    # -- contacts ----------------------------------------------------------------------

    def create_contacts(self) -> None:
        for seeded in self.customers:
            if seeded.customer.kind == Customer.Kind.PRIVATE:
                self.plan_private_contacts(seeded)
            else:
                self.plan_business_contacts(seeded)
        self.save_contacts()

    def plan_private_contacts(self, seeded: SeededCustomer) -> None:
        holder = seeded.contacts.pop().person
        people = [holder]
        if self.chance(0.35):  # a partner, usually sharing the surname
            last = holder.last if self.chance(0.7) else self.rng.choice(data.LAST_NAMES["en"])
            people.append(self.new_person(people, "en", last=last, sex="m" if holder.sex == "f" else "f"))
        if self.chance(0.1):  # a grown-up child who helps with the account
            people.append(self.new_person(people, "en", last=holder.last))
        for index, person in enumerate(people):
            record = self.plan_contact(seeded, person, index=index, role=None)
            seeded.contacts.append(self.plan_contact_points(seeded, record))

    def plan_business_contacts(self, seeded: SeededCustomer) -> None:
        size = self.weighted({"small": 50, "medium": 35, "large": 15})
        if size == "large" and seeded.lang != "en":  # the demo's German and French name lists are short
            size = "medium"
        # The bigger the company, the likelier people pick their notification categories.
        choosy = {"small": 0.3, "medium": 0.6, "large": 0.8}[size]
        if size == "small":  # a shop, a practice, a firm of a few partners
            count = self.weighted({1: 12, 2: 22, 3: 24, 4: 18, 5: 13, 6: 11})
        elif size == "medium":
            count = self.rng.randint(7, 18)
        else:  # a head office: many people in finance, IT and operations
            count = self.rng.randint(20, 60)
        for index in range(count):
            role = "owner" if index == 0 else self.weighted({"finance": 3, "it": 2, "ops": 3, "other": 2})
            person = self.new_person([record.person for record in seeded.contacts], seeded.lang)
            record = self.plan_contact(seeded, person, index=index, role=role, choosy=choosy)
            seeded.contacts.append(self.plan_contact_points(seeded, record))

    def new_person(self, others: list[Person], lang: str, **fixed: str) -> Person:
        """A person whose name differs from ``others``: the only duplicates are the planted ones."""
        taken = {(other.first, other.last) for other in others}
        while True:
            person = self.person(lang, **fixed)
            if (person.first, person.last) not in taken:
                return person

    def plan_contact(
        self, seeded: SeededCustomer, person: Person, *, index: int, role: str | None, choosy: float = 0.3
    ) -> SeededContact:
        """An unsaved contact; the first of each customer is its primary contact, as ``save()`` would make it."""
        customer = seeded.customer
        business = customer.kind == Customer.Kind.BUSINESS
        created = self.moment_after(customer.created) if index else customer.created + timedelta(minutes=5)
        contact = self.contact_model(
            customer=customer,
            title=person.title,
            first_name=person.first,
            middle_name=person.middle,
            last_name=person.last,
            job_title=self.rng.choice(data.JOB_TITLES[role]) if role else "",
            language=person.lang if (person.lang != "en" or self.chance(0.6)) else "",
            timezone={"de": "Europe/Berlin", "fr": "Europe/Paris"}.get(person.lang, "Europe/London"),
            created=created,
            preferred_channel=self.weighted(
                {"any": 50, "email": 25, "mobile_phone": 10, "sms": 7, "work_phone": 8 if business else 0}
            ),
            automated_followups=not self.chance(0.1),
            managed_by="customer" if business and self.chance(0.08) else "provider",
        )
        if index == 0:
            contact.is_primary = app_settings.auto_primary and app_settings.primary_contact_allowed(customer)
        if not business and self.chance(0.7):
            contact.birthday = (self.now - timedelta(days=self.rng.randint(20 * 365, 85 * 365))).date()
        if index and self.chance(0.07):
            contact.is_active = False
            contact.notes = "Left the company." if business else "No longer lives at this address."
        if self.chance(0.35):
            contact.marketing_consent = True
            contact.marketing_consent_at = self.moment_after(created)
            contact.marketing_consent_source = self.rng.choice(data.CONSENT_SOURCES)
        contact.last_contacted_at = self.last_contacted(created)
        if role and self.chance(choosy):
            contact.receive_all_notifications = False
        return SeededContact(contact, person, role=role)

    def last_contacted(self, created: datetime) -> datetime | None:
        """Most people were reached in the last few months; some long ago, some never.

        Sending invoices and case updates later (``record_communication``) moves it on.
        """
        roll = self.rng.random()
        recent_start = max(created, self.now - timedelta(days=150))
        if roll < 0.8:
            return self.moment_after(recent_start)
        if roll < 0.88:
            return self.moment_after(created)
        return None

    def plan_contact_points(self, seeded: SeededCustomer, record: SeededContact) -> SeededContact:
        """Emails, phones, the preferences they tick, opt-outs, categories and tags of a planned contact."""
        contact, person, role = record.contact, record.person, record.role
        business = role is not None
        wants_email = self.chance(0.95 if business else 0.9)
        if wants_email:
            if business:
                self.plan_email(record, self.work_email(seeded, person), "work")
                if self.chance(0.2):
                    self.plan_email(record, self.private_email(person), "personal")
            else:
                self.plan_email(record, self.private_email(person), "personal")
        phone_kinds = []
        if self.chance(0.75 if business else 0.85) or not wants_email:
            phone_kinds.append("mobile")
        if self.chance(0.6 if business else 0.3):
            phone_kinds.append("work" if business else "home")
        self.rng.shuffle(phone_kinds)  # whichever comes first becomes the primary phone
        for kind in phone_kinds:
            if kind == "mobile":
                number = self.mobile(seeded.lang)
                record.mobiles.append(number)
            else:
                number = self.landline(seeded.lang, seeded.town)
            record.points.append((ContactPhone, number, kind))

        # What the first email, phone and mobile tick (see ContactPoint.save()) ...
        contact.email_allowed = bool(record.emails)
        contact.phone_allowed = bool(phone_kinds)
        contact.sms_allowed = "mobile" in phone_kinds and app_settings.sms_enabled
        # ... and the later opt-outs: the person said no.
        for name, probability in (("email_allowed", 0.08), ("sms_allowed", 0.15), ("phone_allowed", 0.05)):
            if getattr(contact, name) and self.chance(probability):
                setattr(contact, name, False)

        if not contact.receive_all_notifications:
            record.categories = list(data.ROLE_CATEGORIES[role])
        tag_names = []
        if role and self.chance(0.25):
            tag_names.append(self.rng.choice(data.ROLE_TAGS[role]))
        if self.chance(0.1):
            tag_names.append(self.rng.choice(["Newsletter", "Trade show 2024"]))
        if not business and not wants_email:
            tag_names.append("Large print")
        record.tags = list(dict.fromkeys(tag_names))
        return record

    @staticmethod
    def plan_email(record: SeededContact, address: str, kind: str) -> None:
        record.emails.append(address)
        record.points.append((ContactEmail, address, kind))

    def save_contacts(self) -> None:
        """Write the planned contacts, their emails, phones, categories and tags in bulk.

        Each row is validated field by field first (``full_clean()`` without the
        uniqueness and constraint checks, which would cost a query each; the planner
        keeps them), and each gets a history row dated when the contact was created.
        """
        records = [record for seeded in self.customers for record in seeded.contacts]
        skip = ["customer", "user", "scope_content_type", "primary_marker"]
        for record in records:
            contact = record.contact
            contact.name_key = name_key(contact.full_name)
            contact.set_match_keys()  # duplicate detection's blocking keys, as save() computes them
            contact.full_clean(exclude=skip, validate_unique=False, validate_constraints=False)
            contact._history_date = contact.created
        bulk_create_with_history([record.contact for record in records], self.contact_model, batch_size=BATCH_SIZE)

        points: dict[type, list[Any]] = {ContactEmail: [], ContactPhone: []}
        for record in records:
            seen: set[type] = set()
            for model, value, kind in record.points:
                if model is ContactEmail:
                    point = ContactEmail(contact=record.contact, email=value, kind=kind)
                    point.email_normalized = email_key(value)
                else:
                    point = ContactPhone(contact=record.contact, number=value, kind=kind)
                point.is_primary = model not in seen
                seen.add(model)
                point.full_clean(
                    exclude=["contact", "primary_marker"], validate_unique=False, validate_constraints=False
                )
                point._history_date = record.contact.created
                points[model].append(point)
        for model, rows in points.items():
            bulk_create_with_history(rows, model, batch_size=BATCH_SIZE)

        category_field = NotificationCategory._meta.get_field("contacts")
        tag_field = Tag._meta.get_field("contacts")
        links = []
        for m2m, names, lookup in (
            (category_field, "categories", self.categories),
            (tag_field, "tags", self.tags),
        ):
            through = m2m.remote_field.through
            owner, contact_column = f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"
            rows = [
                through(**{owner: lookup[name].pk, contact_column: record.contact.pk})
                for record in records
                for name in getattr(record, names)
            ]
            links.append((through, rows))
        for through, rows in links:
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def work_email(self, seeded: SeededCustomer, person: Person) -> str:
        first, last = ascii_slug(person.first), ascii_slug(person.last)
        taken = {email.lower() for record in seeded.contacts for email in record.emails}
        local = self.weighted({f"{first}.{last}": 6, f"{first[0]}{last}": 3, first: 1})
        address, n = f"{local}@{seeded.domain}", 1
        while address in taken:
            n += 1
            address = f"{local}{n}@{seeded.domain}"
        return address

    def private_email(self, person: Person) -> str:
        first, last = ascii_slug(person.first), ascii_slug(person.last)
        while True:
            local = self.rng.choice(
                [
                    f"{first}.{last}",
                    f"{first[0]}{last}",
                    f"{first}{last}{self.rng.randint(1, 99)}",
                    f"{last}.{first}",
                    f"{first}_{self.rng.randint(60, 99)}",
                ]
            )
            address = f"{local}@{self.rng.choice(data.PRIVATE_MAIL_DOMAINS)}"
            if address not in self.used_private_emails:
                self.used_private_emails.add(address)
                return address

    # -- planted duplicates -------------------------------------------------------------

    def plant_duplicates(self) -> None:
        """Duplicates as a careless import or a second colleague would create them.

        * ``email``: same name, same address in other letter case. The app refuses that
          through ``add_email()`` (``EMAIL_UNIQUE``), so the address is written the way
          an old import would have, straight to the table.
        * ``phone``: a nickname and another address, but the same mobile number.
        * ``name``: the same name typed differently ("jane SMITH"), nothing else shared.
        * ``triple``: an ``email`` and a ``phone`` duplicate of the same person.
        """
        candidates = [
            seeded for seeded in self.customers if any(self._duplicable(record) for record in seeded.contacts)
        ]
        self.rng.shuffle(candidates)
        kinds = ["email"] * 5 + ["phone"] * 5 + ["name"] * 3 + ["triple"] * 2
        for kind, seeded in zip(kinds, candidates, strict=False):
            original = self.rng.choice([record for record in seeded.contacts if self._duplicable(record)])
            makers = (
                [self.email_duplicate, self.phone_duplicate]
                if kind == "triple"
                else [{"email": self.email_duplicate, "phone": self.phone_duplicate, "name": self.name_duplicate}[kind]]
            )
            for make in makers:
                seeded.duplicates.append(make(seeded, original))
            self.duplicate_groups += 1
            self.duplicate_contacts += len(makers)
        # In one group someone made the imported copy the primary contact: merging it
        # into the original must hand the primary role back.
        allowed = app_settings.primary_contact_allowed
        groups = [seeded for seeded in self.customers if seeded.duplicates and allowed(seeded.customer)]
        if groups:
            set_primary_contact(groups[0].duplicates[-1])

    @staticmethod
    def _duplicable(record: SeededContact) -> bool:
        return bool(record.contact.is_active and record.emails and record.mobiles)

    def duplicate_of(self, seeded: SeededCustomer, original: SeededContact, **names: str) -> Any:
        person = original.person
        contact = self.contact_model(
            customer=seeded.customer,
            first_name=names.get("first", person.first),
            last_name=names.get("last", person.last),
            job_title=original.contact.job_title if self.chance(0.5) else "",
            notes="Imported from the old address book.",
            created=self.moment_after(original.contact.created),
        )
        contact.full_clean()
        contact.save()
        return contact

    def email_duplicate(self, seeded: SeededCustomer, original: SeededContact) -> Any:
        contact = self.duplicate_of(seeded, original)
        local, domain = original.emails[0].split("@")
        shouted = f"{'.'.join(part.capitalize() for part in local.split('.'))}@{domain.capitalize()}"
        if shouted == original.emails[0]:
            shouted = original.emails[0].upper()
        kind = "work" if seeded.customer.kind == Customer.Kind.BUSINESS else "personal"
        ContactEmail.objects.create(contact=contact, email=shouted, kind=kind)
        return contact

    def phone_duplicate(self, seeded: SeededCustomer, original: SeededContact) -> Any:
        first = data.NICKNAMES.get(original.person.first, original.person.first)
        contact = self.duplicate_of(seeded, original, first=first)
        contact.add_phone(original.mobiles[0], kind="mobile")
        contact.add_email(self.private_email(Person(first, original.person.last, "", "en")), kind="personal")
        return contact

    def name_duplicate(self, seeded: SeededCustomer, original: SeededContact) -> Any:
        person = original.person
        contact = self.duplicate_of(seeded, original, first=person.first.lower(), last=person.last.upper())
        contact.add_phone(self.landline(seeded.lang, seeded.town), kind="work")
        return contact

    # -- invoices and cases -------------------------------------------------------------

    def create_invoices(self) -> list[Invoice]:
        pending: list[tuple[Any, Invoice]] = []
        for seeded in self.customers:
            business = seeded.customer.kind == Customer.Kind.BUSINESS
            if not (seeded.duplicates or self.chance(0.7 if business else 0.3)):
                continue
            # The finance people, else the primary contact, else anyone (no primary allowed).
            everyone = [record.contact for record in seeded.contacts]
            finance = [record.contact for record in seeded.contacts if record.role == "finance"]
            payers = finance or [contact for contact in everyone if contact.is_primary] or everyone
            for _ in range(self.rng.randint(2, 10) if business else self.rng.randint(1, 4)):
                billing_contact = None if self.chance(0.1) else self.rng.choice(payers)
                if seeded.duplicates and self.chance(0.5):
                    billing_contact = self.rng.choice(seeded.duplicates)
                low, high = (120, 4800) if business else (18, 160)
                invoice = Invoice(
                    customer=seeded.customer,
                    billing_contact=billing_contact,
                    amount=Decimal(self.rng.randrange(low * 100, high * 100)) / 100,
                    issued_on=timezone.localdate(self.moment_after(seeded.customer.created)),
                )
                pending.append(((invoice.issued_on, seeded.customer.created), invoice))
        pending.sort(key=lambda item: item[0])
        per_year: dict[int, int] = {}
        for _, invoice in pending:
            year = invoice.issued_on.year
            per_year[year] = per_year.get(year, 0) + 1
            invoice.number = f"INV-{year}-{per_year[year]:05d}"
        return Invoice.objects.bulk_create([invoice for _, invoice in pending], batch_size=BATCH_SIZE)

    def create_cases(self) -> tuple[list[Case], list[tuple[Case, list[Any]]]]:
        cases: list[Case] = []
        watchers: list[tuple[Case, list[Any]]] = []
        for seeded in self.customers:
            if not (seeded.duplicates or self.chance(0.45)):
                continue
            active = [record.contact for record in seeded.contacts if record.contact.is_active]
            for _ in range(self.rng.randint(1, 3)):
                created = self.moment_after(seeded.customer.created)
                if self.now - created > timedelta(days=30) and self.chance(0.85):
                    status = Case.Status.CLOSED
                else:
                    status = self.weighted({Case.Status.OPEN: 3, Case.Status.WAITING: 2, Case.Status.CLOSED: 1})
                case = Case(
                    customer=seeded.customer,
                    title=self.rng.choice(data.CASE_TITLES[seeded.customer.kind]),
                    created=created,
                    status=status,
                )
                people = self.rng.sample(active, k=min(len(active), self.rng.randint(0, 3)))
                if seeded.duplicates:  # watched by both the original and its duplicate
                    people = list(dict.fromkeys([*people, *active[:1], seeded.duplicates[0]]))
                cases.append(case)
                watchers.append((case, people))
        Case.objects.bulk_create(cases, batch_size=BATCH_SIZE)
        through = Case.watchers.through
        links = [
            through(case_id=case.pk, **{through_contact_field(): contact.pk})
            for case, people in watchers
            for contact in people
        ]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        return cases, watchers

    # -- one-time contacts -----------------------------------------------------------

    def create_one_time_contacts(self, cases: list[Case]) -> None:
        """People who matter for one case only: a site engineer, a locum, a solicitor.

        Created through the model API with ``scope=case``: they belong to the case's
        customer but stay off its contact list and never become primary.
        """
        by_customer = {seeded.customer.pk: seeded for seeded in self.customers}
        chosen = self.rng.sample(cases, k=min(max(len(cases) // 6, 1), len(cases)))
        chosen.sort(key=lambda case: case.pk)
        for case in chosen:
            seeded = by_customer[case.customer_id]
            for _ in range(self.weighted({1: 7, 2: 3})):
                person = self.new_person([record.person for record in seeded.contacts], "en")
                contact = self.contact_model(
                    customer=case.customer,
                    scope=case,
                    title=person.title,
                    first_name=person.first,
                    last_name=person.last,
                    job_title=self.rng.choice(data.ONE_TIME_ROLES[case.customer.kind]),
                    notes=f"Only for the case “{case.title}”.",
                    created=min(case.created + timedelta(hours=self.rng.randint(1, 48)), self.now),
                )
                contact.full_clean()
                contact.save()
                contact.add_phone(self.mobile("en"), kind="mobile")
                if self.chance(0.65):
                    contact.add_email(self.private_email(person), kind="work")
                seeded.contacts.append(SeededContact(contact, person))
                self.one_time_contacts.append((case, contact))

    # -- the review of unused contacts -------------------------------------------------

    def plant_unused_contacts(self) -> None:
        """Contacts added long ago and never reached: the review of unused contacts finds them.

        A few business customers older than a year and a half get 5 to 8 of them
        (``UNUSED_REVIEW_THRESHOLD`` is 5 in the example settings), created through
        the model API with a ``created`` date from when the account was opened.
        """
        old_enough = self.now - timedelta(days=540)
        candidates = [
            seeded
            for seeded in self.customers
            if seeded.customer.kind == Customer.Kind.BUSINESS and seeded.customer.created < old_enough
        ]
        for seeded in self.rng.sample(candidates, k=min(max(len(self.customers) // 50, 1), len(candidates))):
            story = self.rng.choice(data.UNUSED_STORIES)
            for _ in range(self.rng.randint(5, 8)):
                role = self.weighted({"ops": 2, "other": 3, "finance": 1})
                person = self.new_person([record.person for record in seeded.contacts], seeded.lang)
                contact = self.contact_model(
                    customer=seeded.customer,
                    title=person.title,
                    first_name=person.first,
                    last_name=person.last,
                    job_title=self.rng.choice(data.JOB_TITLES[role]),
                    notes=story,
                    created=seeded.customer.created + timedelta(days=self.rng.randint(2, 90)),
                )
                contact.full_clean()
                contact.save()
                record = SeededContact(contact, person, role=role)
                record.emails.append(self.add_email(contact, self.work_email(seeded, person), "work"))
                if self.chance(0.4):
                    contact.add_phone(self.landline(seeded.lang, seeded.town), kind="work")
                seeded.contacts.append(record)
                seeded.unused.append(contact)

    @staticmethod
    def add_email(contact: Any, address: str, kind: str) -> str:
        contact.add_email(address, kind=kind)
        return address

    # -- communication -------------------------------------------------------------------

    def record_communications(self, invoices: list[Invoice], watchers: list[tuple[Case, list[Any]]]) -> None:
        """Every invoice was emailed to its billing contact, every case update to its watchers.

        ``record_communication()`` keeps the latest moment per contact; calling it
        once per contact with that moment leaves the same result with fewer queries.
        """
        latest: dict[Any, tuple[datetime, Any, str]] = {}

        def reached(contact: Any, when: datetime, channel: str) -> None:
            when = min(when, self.now)
            if contact.pk not in latest or latest[contact.pk][0] < when:
                latest[contact.pk] = (when, contact, channel)

        for invoice in invoices:
            if invoice.billing_contact is not None:
                day = invoice.issued_on
                sent = timezone.make_aware(datetime(day.year, day.month, day.day, 9, 30))
                reached(invoice.billing_contact, sent, "email")
        for case, people in watchers:
            for contact in people:
                reached(contact, case.created + timedelta(hours=self.rng.randint(1, 72)), "email")
        for case, contact in self.one_time_contacts:
            reached(contact, case.created + timedelta(hours=self.rng.randint(2, 96)), "phone")
        for pk in sorted(latest):
            when, contact, channel = latest[pk]
            record_communication(contact, channel=channel, when=when)
        self.communications = len(latest)

    # -- notes ----------------------------------------------------------------------------

    def create_notes(self, cases: list[Case]) -> int:
        """Notes on customers, contacts and cases (the CRM's ``Note``, a generic foreign key)."""
        contact_type = ContentType.objects.get_for_model(self.contact_model)
        customer_type = ContentType.objects.get_for_model(Customer)
        case_type = ContentType.objects.get_for_model(Case)
        notes: list[Note] = []

        def note(content_type: ContentType, obj: Any, text: str, after: datetime) -> None:
            notes.append(Note(content_type=content_type, object_id=obj.pk, text=text, created=self.moment_after(after)))

        for seeded in self.customers:
            customer = seeded.customer
            if self.chance(0.35):
                for text in self.rng.sample(data.CUSTOMER_NOTES[customer.kind], k=self.weighted({1: 3, 2: 1})):
                    note(customer_type, customer, text, customer.created)
            for record in seeded.contacts:
                contact = record.contact
                if contact.is_one_time or not contact.is_active or contact in seeded.unused:
                    continue
                if self.chance(0.12):
                    for text in self.rng.sample(data.CONTACT_NOTES, k=self.weighted({1: 5, 2: 1})):
                        note(contact_type, contact, text, contact.created)
            for duplicate in seeded.duplicates:
                note(contact_type, duplicate, data.DUPLICATE_NOTE, duplicate.created)
        for case in cases:
            if self.chance(0.55):
                for text in self.rng.sample(data.CASE_NOTES, k=self.rng.randint(1, 3)):
                    note(case_type, case, text, case.created)
        for _case, contact in self.one_time_contacts:
            if self.chance(0.5):
                note(contact_type, contact, self.rng.choice(data.ONE_TIME_NOTES), contact.created)
        Note.objects.bulk_create(notes, batch_size=BATCH_SIZE)
        return len(notes)


def through_contact_field() -> str:
    """Name of the contact column in ``Case.watchers.through`` (follows the contact model)."""
    return Case.watchers.field.m2m_reverse_field_name() + "_id"


class Command(BaseCommand):
    help = (
        "Fill an empty database with a repeatable demo CRM: customers, contacts with emails "
        "and phones, invoices, cases with one-time contacts, notes, duplicate contacts to merge "
        "and unused contacts to review. Does nothing when customers exist, unless --flush."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--flush",
            action="store_true",
            help="First delete all customers (with their contacts, invoices, cases and notes) and the demo tags.",
        )
        parser.add_argument("--customers", type=int, default=300, help="How many customers to create (default 300).")

    def handle(self, *args: Any, flush: bool, customers: int, **options: Any) -> None:
        if customers < 1:
            raise CommandError("--customers must be at least 1.")
        existing = Customer.objects.count()
        if existing and not flush:
            self.stdout.write(
                self.style.WARNING(
                    f"Nothing seeded: the database already has {existing} customers. "
                    "Run `manage.py seed_demo --flush` to delete them and seed again."
                )
            )
            return
        started = time.monotonic()
        with transaction.atomic():
            if flush:
                self.flush()
            seeder = DemoSeeder(random.Random(SEED), now=timezone.now())
            seeder.create_customers(customers)
            seeder.create_contacts()
            seeder.plant_duplicates()
            invoices = seeder.create_invoices()
            cases, watchers = seeder.create_cases()
            seeder.create_one_time_contacts(cases)
            seeder.plant_unused_contacts()
            seeder.record_communications(invoices, watchers)
            note_count = seeder.create_notes(cases)
        self.report(seeder, len(invoices), cases, watchers, note_count, time.monotonic() - started)

    def flush(self) -> None:
        # Every note hangs off a customer, a case or a contact: all about to go.
        Note.objects.all().delete()
        _total, per_model = Customer.objects.all().delete()
        Tag.objects.filter(name_key__in=[name.casefold() for name in data.TAGS]).delete()
        contact_label = get_contact_model()._meta.label
        self.stdout.write(
            f"Flushed {per_model.get(Customer._meta.label, 0)} customers and "
            f"{per_model.get(contact_label, 0)} contacts (history rows are kept)."
        )

    def report(
        self,
        seeder: DemoSeeder,
        invoices: int,
        cases: list[Case],
        watchers: list[tuple[Case, list[Any]]],
        notes: int,
        seconds: float,
    ) -> None:
        contacts = get_contact_model()._default_manager
        customer_count = Customer.objects.count()
        private = Customer.objects.filter(kind=Customer.Kind.PRIVATE).count()
        one_time_cases = len({case.pk for case, _contact in seeder.one_time_contacts})
        review = contacts.unused_review()
        lines = [
            f"Customers:         {customer_count} ({private} private, {customer_count - private} business)",
            f"Contacts:          {contacts.count()} ({contacts.filter(is_active=True).count()} active, "
            f"{contacts.filter(is_active=False).count()} inactive, {contacts.filter(is_primary=True).count()} primary, "
            f"{contacts.one_time().count()} one-time on {one_time_cases} cases)",
            f"Emails / phones:   {ContactEmail.objects.count()} / {ContactPhone.objects.count()}",
            f"Marketing consent: {contacts.filter(marketing_consent=True).count()} contacts; "
            f"chosen categories: {contacts.filter(receive_all_notifications=False).count()}; "
            f"tagged: {contacts.filter(tags__isnull=False).distinct().count()}",
            f"Duplicates:        {seeder.duplicate_groups} planted groups ({seeder.duplicate_contacts} extra contacts)",
            f"Unused contacts:   {contacts.unused().count()} (not reached in {app_settings.unused_after_days} days); "
            f"{len(review)} customers due a review (threshold {app_settings.unused_review_threshold}), "
            f"{sum(len(seeded.unused) for seeded in seeder.customers)} contacts planted for it",
            f"Communications:    last contact recorded for {seeder.communications} contacts (invoices, case updates)",
            f"Invoices:          {invoices}",
            f"Cases:             {len(cases)} ({sum(len(people) for _case, people in watchers)} watcher links)",
            f"Notes:             {notes} (on contacts, customers and cases)",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS(f"Demo data seeded in {seconds:.1f} s."))
