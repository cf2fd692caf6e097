"""``manage.py seed_demo``: fill an empty database with a believable, repeatable demo CRM.

The same data every run (``random.Random(42)``; only dates move with today): about
200 customers, their contacts with emails, phones, preferences, categories and tags,
some inactive and some one-time contacts, invoices and cases that point at contacts,
and a few planted duplicate contacts to find and merge.

Contacts and their contact points go through the model API (``save()``,
``add_email()``, ``add_phone()``, ``set_primary_contact()``), so the first contact
becomes primary and the ``*_allowed`` preferences are ticked exactly as in real use.
Customers, invoices, cases and case watchers are plain rows and are bulk-created.
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
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm import demo_data as data
from crm.models import Case, Customer, Invoice
from django_customer_contacts import get_contact_model
from django_customer_contacts.conf import app_settings
from django_customer_contacts.models import ContactEmail, ContactPhone, NotificationCategory, Tag
from django_customer_contacts.services import set_primary_contact

SEED = 42


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
    """A contact the seeder created, with what it needs to plant duplicates later."""

    contact: Any
    person: Person
    emails: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    role: str | None = None


@dataclass
class SeededCustomer:
    customer: Customer
    lang: str
    town: tuple[str, str] | None
    domain: str = ""
    contacts: list[SeededContact] = field(default_factory=list)
    duplicates: list[Any] = field(default_factory=list)


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
                self.create_private_contacts(seeded)
            else:
                self.create_business_contacts(seeded)

    def create_private_contacts(self, seeded: SeededCustomer) -> None:
        holder = seeded.contacts.pop().person
        people = [holder]
        if self.chance(0.35):  # a partner, usually sharing the surname
            last = holder.last if self.chance(0.7) else self.rng.choice(data.LAST_NAMES["en"])
            people.append(self.new_person(people, "en", last=last, sex="m" if holder.sex == "f" else "f"))
        if self.chance(0.1):  # a grown-up child who helps with the account
            people.append(self.new_person(people, "en", last=holder.last))
        for index, person in enumerate(people):
            contact = self.new_contact(seeded, person, index=index, role=None)
            seeded.contacts.append(self.add_contact_points(seeded, contact, person, role=None))

    def create_business_contacts(self, seeded: SeededCustomer) -> None:
        count = self.weighted({1: 15, 2: 25, 3: 25, 4: 17, 5: 10, 6: 8})
        for index in range(count):
            role = "owner" if index == 0 else self.weighted({"finance": 3, "it": 2, "ops": 3, "other": 2})
            person = self.new_person([record.person for record in seeded.contacts], seeded.lang)
            contact = self.new_contact(seeded, person, index=index, role=role)
            seeded.contacts.append(self.add_contact_points(seeded, contact, person, role=role))

    def new_person(self, others: list[Person], lang: str, **fixed: str) -> Person:
        """A person whose name differs from ``others``: the only duplicates are the planted ones."""
        taken = {(other.first, other.last) for other in others}
        while True:
            person = self.person(lang, **fixed)
            if (person.first, person.last) not in taken:
                return person

    def new_contact(self, seeded: SeededCustomer, person: Person, *, index: int, role: str | None) -> Any:
        """Create and save one contact (the first active one becomes primary by itself)."""
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
        if not business and self.chance(0.7):
            contact.birthday = (self.now - timedelta(days=self.rng.randint(20 * 365, 85 * 365))).date()
        if index and self.chance(0.07):
            contact.is_active = False
            contact.notes = "Left the company." if business else "No longer lives at this address."
        if self.chance(0.35):
            contact.marketing_consent = True
            contact.marketing_consent_at = self.moment_after(created)
            contact.marketing_consent_source = self.rng.choice(data.CONSENT_SOURCES)
        if self.chance(0.6):
            contact.last_contacted_at = self.moment_after(created)
        if role and self.chance(0.3):
            contact.receive_all_notifications = False
        contact.full_clean()
        contact.save()
        return contact

    def add_contact_points(
        self, seeded: SeededCustomer, contact: Any, person: Person, role: str | None
    ) -> SeededContact:
        """Emails, phones, opt-outs, categories and tags of a freshly saved contact."""
        record = SeededContact(contact, person, role=role)
        business = role is not None
        wants_email = self.chance(0.95 if business else 0.9)
        if wants_email:
            if business:
                record.emails.append(self.add_email(contact, self.work_email(seeded, person), "work"))
                if self.chance(0.2):
                    record.emails.append(self.add_email(contact, self.private_email(person), "personal"))
            else:
                record.emails.append(self.add_email(contact, self.private_email(person), "personal"))
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
            contact.add_phone(number, kind=kind)

        # Later opt-outs: adding the first email/phone ticked these, the person said no.
        opted_out = [
            name
            for name, probability in (("email_allowed", 0.08), ("sms_allowed", 0.15), ("phone_allowed", 0.05))
            if getattr(contact, name) and self.chance(probability)
        ]
        if opted_out:
            for name in opted_out:
                setattr(contact, name, False)
            contact.save(update_fields=[*opted_out, "modified"])

        if not contact.receive_all_notifications:
            contact.notification_categories.add(*(self.categories[code] for code in data.ROLE_CATEGORIES[role]))
        tag_names = []
        if role and self.chance(0.25):
            tag_names.append(self.rng.choice(data.ROLE_TAGS[role]))
        if self.chance(0.1):
            tag_names.append(self.rng.choice(["Newsletter", "Trade show 2024"]))
        if not business and not wants_email:
            tag_names.append("Large print")
        if tag_names:
            contact.tags.add(*(self.tags[name] for name in dict.fromkeys(tag_names)))
        return record

    @staticmethod
    def add_email(contact: Any, address: str, kind: str) -> str:
        contact.add_email(address, kind=kind)
        return address

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

    def create_invoices(self) -> int:
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
        Invoice.objects.bulk_create([invoice for _, invoice in pending])
        return len(pending)

    def create_cases(self) -> tuple[list[Case], int]:
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
        Case.objects.bulk_create(cases)
        through = Case.watchers.through
        links = [
            through(case_id=case.pk, **{through_contact_field(): contact.pk})
            for case, people in watchers
            for contact in people
        ]
        through.objects.bulk_create(links)
        return cases, len(links)

    def create_one_time_contacts(self, cases: list[Case]) -> int:
        """People who matter for one case only: a site engineer, a locum."""
        chosen = self.rng.sample(cases, k=min(12, len(cases)))
        for case in chosen:
            lang = "en"
            person = self.person(lang)
            contact = self.contact_model(
                customer=case.customer,
                scope=case,
                first_name=person.first,
                last_name=person.last,
                job_title=self.rng.choice(data.ONE_TIME_ROLES),
                notes=f"Only for the case “{case.title}”.",
            )
            contact.full_clean()
            contact.save()
            contact.add_phone(self.mobile(lang), kind="mobile")
        return len(chosen)


def through_contact_field() -> str:
    """Name of the contact column in ``Case.watchers.through`` (follows the contact model)."""
    return Case.watchers.field.m2m_reverse_field_name() + "_id"


class Command(BaseCommand):
    help = (
        "Fill an empty database with a repeatable demo CRM: customers, contacts with emails "
        "and phones, invoices, cases and a few duplicate contacts to merge."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--flush",
            action="store_true",
            help="First delete all customers (with their contacts, invoices and cases) and the demo tags.",
        )
        parser.add_argument("--customers", type=int, default=200, help="How many customers to create (default 200).")

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
            invoice_count = seeder.create_invoices()
            cases, watcher_count = seeder.create_cases()
            one_time_count = seeder.create_one_time_contacts(cases)
        self.report(seeder, invoice_count, len(cases), watcher_count, one_time_count, time.monotonic() - started)

    def flush(self) -> None:
        _total, per_model = Customer.objects.all().delete()
        Tag.objects.filter(name_key__in=[name.casefold() for name in data.TAGS]).delete()
        contact_label = get_contact_model()._meta.label
        self.stdout.write(
            f"Flushed {per_model.get(Customer._meta.label, 0)} customers and "
            f"{per_model.get(contact_label, 0)} contacts (history rows are kept)."
        )

    def report(
        self, seeder: DemoSeeder, invoices: int, cases: int, watchers: int, one_time: int, seconds: float
    ) -> None:
        contacts = get_contact_model()._default_manager
        private = Customer.objects.filter(kind=Customer.Kind.PRIVATE).count()
        lines = [
            f"Customers:        {Customer.objects.count()} ({private} private, "
            f"{Customer.objects.count() - private} business)",
            f"Contacts:         {contacts.count()} ({contacts.filter(is_active=True).count()} active, "
            f"{contacts.filter(is_active=False).count()} inactive, {contacts.filter(is_primary=True).count()} primary, "
            f"{one_time} one-time)",
            f"Emails / phones:  {ContactEmail.objects.count()} / {ContactPhone.objects.count()}",
            f"Marketing consent: {contacts.filter(marketing_consent=True).count()} contacts; "
            f"chosen categories: {contacts.filter(receive_all_notifications=False).count()}; "
            f"tagged: {contacts.filter(tags__isnull=False).distinct().count()}",
            f"Duplicates:       {seeder.duplicate_groups} planted groups ({seeder.duplicate_contacts} extra contacts)",
            f"Invoices:         {invoices}",
            f"Cases:            {cases} ({watchers} watcher links)",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS(f"Demo data seeded in {seconds:.1f} s."))
