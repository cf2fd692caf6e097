"""Build (once) and open the million-contact benchmark database, in SQL.

100,000 customers with 10 contacts each, plus one customer ("Big Customer Ltd") with
20,000: 1,020,000 contacts, with emails, phones, tags, notification categories and
consent in the proportions below. Every table is filled by one ``INSERT … SELECT`` over
a number series (PostgreSQL's ``generate_series``, MariaDB's ``seq_1_to_N`` sequence
tables), not row by row through the ORM: a few minutes on a 2-core machine.

    python benchmarks/million.py --db postgres --name bench_million_pg
    python benchmarks/million.py --db mariadb --name bench_million_mariadb
    python benchmarks/million.py --db postgres --name bench_small --customers 1000 --big 2000

The database is kept: the benchmarks (``changelist_benchmark.py``,
``recipients_benchmark.py``, ``export_benchmark.py --million``) open it with
:func:`open_database` and build it only when it is missing or incomplete. ``--rebuild``
drops and builds it again. The schema comes from ``migrate`` with
``benchmarks.settings``, so it has exactly the app's indexes at the checked-out commit.

Proportions (of all contacts): 95 % active; the first contact of each customer primary;
4 % managed by the customer; 92 % with a work email, 25 % with a second (personal)
email; 80 % with a mobile number, 30 % with a work number; email allowed 90 %, SMS 50 %,
phone calls 70 %; marketing consent 30 %; 80 % receive all notifications, the others are
in one of the five categories (about 200,000 memberships); a third have one of 20 tags
and a seventh a second one; 60 % were contacted in the past year. Names come from 200
first and 500 last names: 100,000 distinct full names, a few hundred contacts sharing
the commonest ones. Phone numbers are UK (``PHONENUMBER_DEFAULT_REGION = "GB"``):
``+4477<8 digits>`` mobiles and ``+4420<8 digits>`` work numbers, each a contact's own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The big customer's primary key: one past the regular customers.
BIG_CUSTOMER_NAME = "Big Customer Ltd"

FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Rebecca",
    "Edward",
    "Sharon",
    "Jason",
    "Laura",
    "Jeffrey",
    "Cynthia",
    "Ryan",
    "Kathleen",
    "Jacob",
    "Amy",
    "Gary",
    "Angela",
    "Nicholas",
    "Shirley",
    "Eric",
    "Anna",
    "Jonathan",
    "Brenda",
    "Stephen",
    "Pamela",
    "Larry",
    "Emma",
    "Justin",
    "Nicole",
    "Scott",
    "Helen",
    "Brandon",
    "Samantha",
    "Benjamin",
    "Katherine",
    "Samuel",
    "Christine",
    "Gregory",
    "Debra",
    "Alexander",
    "Rachel",
    "Frank",
    "Carolyn",
    "Patrick",
    "Janet",
    "Raymond",
    "Catherine",
    "Jack",
    "Maria",
    "Dennis",
    "Heather",
    "Jerry",
    "Diane",
    "Tyler",
    "Ruth",
    "Aaron",
    "Julie",
    "Jose",
    "Olivia",
    "Adam",
    "Joyce",
    "Nathan",
    "Virginia",
    "Henry",
    "Victoria",
    "Douglas",
    "Kelly",
    "Zachary",
    "Lauren",
    "Peter",
    "Christina",
    "Kyle",
    "Joan",
    "Ethan",
    "Evelyn",
    "Walter",
    "Judith",
    "Noah",
    "Megan",
    "Jeremy",
    "Andrea",
    "Christian",
    "Cheryl",
    "Keith",
    "Hannah",
    "Roger",
    "Jacqueline",
    "Terry",
    "Martha",
    "Gerald",
    "Gloria",
    "Harold",
    "Teresa",
    "Sean",
    "Ann",
    "Austin",
    "Sara",
    "Carl",
    "Madison",
    "Arthur",
    "Frances",
    "Lawrence",
    "Kathryn",
    "Dylan",
    "Janice",
    "Jesse",
    "Jean",
    "Jordan",
    "Abigail",
    "Bryan",
    "Alice",
    "Billy",
    "Judy",
    "Joe",
    "Sophia",
    "Bruce",
    "Grace",
    "Gabriel",
    "Denise",
    "Logan",
    "Amber",
    "Albert",
    "Doris",
    "Willie",
    "Marilyn",
    "Alan",
    "Danielle",
    "Juan",
    "Beverly",
    "Wayne",
    "Isabella",
    "Elijah",
    "Theresa",
    "Randy",
    "Diana",
    "Roy",
    "Natalie",
    "Vincent",
    "Brittany",
    "Ralph",
    "Charlotte",
    "Eugene",
    "Marie",
    "Russell",
    "Kayla",
    "Bobby",
    "Alexis",
    "Mason",
    "Lori",
    "Philip",
    "Tomasz",
    "Agnieszka",
    "Lukas",
    "Sophie",
    "Hans",
    "Ingrid",
    "Pierre",
][:200]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Gonzales",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Reynolds",
    "Griffin",
    "Wallace",
    "Moreno",
    "West",
    "Cole",
    "Hayes",
    "Bryant",
    "Herrera",
    "Gibson",
    "Ellis",
    "Tran",
    "Medina",
    "Aguilar",
    "Stevens",
    "Murray",
    "Ford",
    "Castro",
    "Marshall",
    "Owens",
    "Harrison",
    "Fernandez",
    "McDonald",
    "Woods",
    "Washington",
    "Kennedy",
    "Wells",
    "Vargas",
    "Henry",
    "Chen",
    "Freeman",
    "Webb",
    "Tucker",
    "Guzman",
    "Burns",
    "Crawford",
    "Olson",
    "Simpson",
    "Porter",
    "Hunter",
    "Gordon",
    "Mendez",
    "Silva",
    "Shaw",
    "Snyder",
    "Mason",
    "Dixon",
    "Munoz",
    "Hunt",
    "Hicks",
    "Holmes",
    "Palmer",
    "Wagner",
    "Black",
    "Robertson",
    "Boyd",
    "Rose",
    "Stone",
    "Salazar",
    "Fox",
    "Warren",
    "Mills",
    "Meyer",
    "Rice",
    "Schmidt",
    "Garza",
    "Daniels",
    "Ferguson",
    "Nichols",
    "Stephens",
    "Soto",
    "Weaver",
    "Ryan",
    "Gardner",
    "Payne",
    "Grant",
    "Dunn",
    "Kelley",
    "Spencer",
    "Hawkins",
    "Arnold",
    "Pierce",
    "Vazquez",
    "Hansen",
    "Peters",
    "Santos",
    "Hart",
    "Bradley",
    "Knight",
    "Elliott",
    "Cunningham",
    "Duncan",
    "Armstrong",
    "Hudson",
    "Carroll",
    "Lane",
    "Riley",
    "Andrews",
    "Alvarado",
    "Ray",
    "Delgado",
    "Berry",
    "Perkins",
    "Hoffman",
    "Johnston",
    "Matthews",
    "Pena",
    "Richards",
    "Contreras",
    "Willis",
    "Carpenter",
    "Lawrence",
    "Sandoval",
    "Guerrero",
    "George",
    "Chapman",
    "Rios",
    "Estrada",
    "Ortega",
    "Watkins",
    "Greene",
    "Nunez",
    "Wheeler",
    "Valdez",
    "Harper",
    "Burke",
    "Larson",
    "Santiago",
    "Maldonado",
    "Morrison",
    "Franklin",
    "Carlson",
    "Austin",
    "Dominguez",
    "Carr",
    "Lawson",
    "Jacobs",
    "Obrien",
    "Lynch",
    "Singh",
    "Vega",
    "Bishop",
    "Montgomery",
    "Oliver",
    "Jensen",
    "Harvey",
    "Williamson",
    "Gilbert",
    "Dean",
    "Sims",
    "Espinoza",
    "Howell",
    "Li",
    "Wong",
    "Reid",
    "Hanson",
    "Le",
    "McCoy",
    "Garrett",
    "Burton",
    "Fuller",
    "Wang",
    "Weber",
    "Welch",
    "Rojas",
    "Lucas",
    "Marquez",
    "Fields",
    "Park",
    "Yang",
    "Little",
    "Banks",
    "Padilla",
    "Day",
    "Walsh",
    "Bowman",
    "Schultz",
    "Luna",
    "Fowler",
    "Mejia",
    "Davidson",
    "Acosta",
    "Brewer",
    "May",
    "Holland",
    "Juarez",
    "Newman",
    "Pearson",
    "Curtis",
    "Cortez",
    "Douglas",
    "Schneider",
    "Joseph",
    "Barrett",
    "Navarro",
    "Figueroa",
    "Keller",
    "Avila",
    "Wade",
    "Molina",
    "Stanley",
    "Hopkins",
    "Campos",
    "Barnett",
    "Bates",
    "Chambers",
    "Caldwell",
    "Beck",
    "Lambert",
    "Miranda",
    "Byrd",
    "Craig",
    "Ayala",
    "Lowe",
    "Frazier",
    "Powers",
    "Neal",
    "Leonard",
    "Gregory",
    "Carrillo",
    "Sutton",
    "Fleming",
    "Rhodes",
    "Shelton",
    "Schwartz",
    "Norris",
    "Jennings",
    "Watts",
    "Duran",
    "Walters",
    "Cohen",
    "McDaniel",
    "Moran",
    "Parks",
    "Steele",
    "Vaughn",
    "Becker",
    "Holt",
    "Deleon",
    "Barker",
    "Terry",
    "Hale",
    "Leon",
    "Hail",
    "Benson",
    "Haynes",
    "Horton",
    "Miles",
    "Lyons",
    "Pham",
    "Graves",
    "Bush",
    "Thornton",
    "Wolfe",
    "Warner",
    "Cabrera",
    "McKinney",
    "Mann",
    "Zimmerman",
    "Dawson",
    "Lara",
    "Fletcher",
    "Page",
    "McCarthy",
    "Love",
    "Robles",
    "Cervantes",
    "Solis",
    "Erickson",
    "Reeves",
    "Chang",
    "Klein",
    "Salinas",
    "Fuentes",
    "Baldwin",
    "Daniel",
    "Simon",
    "Velasquez",
    "Hardy",
    "Higgins",
    "Aguirre",
    "Lin",
    "Cummings",
    "Chandler",
    "Sharp",
    "Barber",
    "Bowen",
    "Ochoa",
    "Dennis",
    "Robbins",
    "Liu",
    "Ramsey",
    "Francis",
    "Griffith",
    "Paul",
    "Blair",
    "Oconnor",
    "Cardenas",
    "Pacheco",
    "Cross",
    "Calderon",
    "Quinn",
    "Moss",
    "Swanson",
    "Chan",
    "Rivas",
    "Khan",
    "Rodgers",
    "Serrano",
    "Fitzgerald",
    "Rosales",
    "Stevenson",
    "Christensen",
    "Manning",
    "Gill",
    "Curry",
    "McLaughlin",
    "Harmon",
    "McGee",
    "Gross",
    "Doyle",
    "Garner",
    "Newton",
    "Burgess",
    "Reese",
    "Walton",
    "Blake",
    "Trujillo",
    "Adkins",
    "Brady",
    "Goodman",
    "Roman",
    "Webster",
    "Goodwin",
    "Fischer",
    "Huang",
    "Potter",
    "Delacruz",
    "Montoya",
    "Todd",
    "Wu",
    "Hines",
    "Mullins",
    "Castaneda",
    "Malone",
    "Cannon",
    "Tate",
    "Mack",
    "Sherman",
    "Hubbard",
    "Hodges",
    "Zhang",
    "Guerra",
    "Wolf",
    "Valencia",
    "Saunders",
    "Franco",
    "Rowe",
    "Gallagher",
    "Farmer",
    "Hammond",
    "Hampton",
    "Townsend",
    "Ingram",
    "Wise",
    "Gallegos",
    "Clarke",
    "Barton",
    "Schroeder",
    "Maxwell",
    "Waters",
    "Logan",
    "Camacho",
    "Strickland",
    "Norman",
    "Person",
    "Colon",
    "Parsons",
    "Frank",
    "Harrington",
    "Glover",
    "Osborne",
    "Buchanan",
    "Casey",
    "Floyd",
    "Patton",
    "Ibarra",
    "Ball",
    "Tyler",
    "Suarez",
    "Bowers",
    "Orozco",
    "Salas",
    "Cobb",
    "Gibbs",
    "Kowalski",
    "Nowak",
    "Wisniewski",
    "Dubois",
    "Moreau",
    "Muller",
    "Schulz",
    "Kruger",
    "Novak",
    "Horvat",
][:500]
TAG_NAMES = [
    "VIP",
    "Newsletter",
    "Decision maker",
    "Billing contact",
    "Technical contact",
    "Key account",
    "Event attendee",
    "Webinar",
    "Partner",
    "Reseller",
    "Trial",
    "Churn risk",
    "Onboarding",
    "Renewal",
    "Beta tester",
    "Press",
    "Investor",
    "Do not call",
    "Trade show 2025",
    "Customer advisory board",
]
JOB_TITLES = ["Buyer", "CEO", "CFO", "Office manager", "IT manager", "Accountant", "Engineer", "Sales director"]


def setup(db: str, name: str) -> None:
    """Configure Django for ``db`` (``postgres`` or ``mariadb``) and the database ``name``."""
    os.environ["BENCH_DB"] = db
    os.environ["CUSTOMER_CONTACTS_TEST_DB"] = db
    os.environ["CUSTOMER_CONTACTS_TEST_DB_NAME"] = name
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


def expected_contacts(customers: int, per_customer: int, big: int) -> int:
    return customers * per_customer + big


class Dialect:
    """The few spellings PostgreSQL and MariaDB don't share."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor

    def series(self, count: int) -> str:
        """A derived table ``s`` with one column ``i``: 1 … count."""
        if self.vendor == "postgresql":
            return f"generate_series(1, {int(count)}) AS s(i)"
        return f"(SELECT seq AS i FROM seq_1_to_{int(count)}) AS s"

    def days_ago(self, days: str) -> str:
        if self.vendor == "postgresql":
            return f"(now() - ({days}) * interval '1 day')"
        return f"(NOW() - INTERVAL ({days}) DAY)"

    def text(self, expression: str) -> str:
        return f"CAST({expression} AS {'text' if self.vendor == 'postgresql' else 'char'})"

    def div(self, dividend: str, divisor: str) -> str:
        """Integer division (``/`` is decimal division on MariaDB)."""
        return f"(({dividend}) {'/' if self.vendor == 'postgresql' else 'DIV'} ({divisor}))"

    def true(self, condition: str) -> str:
        """A boolean column's value from a condition."""
        return f"({condition})"


def database_exists(connection, name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        else:
            cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def create_database(connection, name: str, *, drop: bool) -> None:
    quoted = connection.ops.quote_name(name)
    with connection._nodb_cursor() as cursor:
        if drop:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE DATABASE {quoted}")
        else:
            cursor.execute(f"CREATE DATABASE {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def populate(customers: int, per_customer: int, big: int, log=print) -> None:
    """Fill the (migrated, empty) database: see the module docstring."""
    from django.db import connection, transaction

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone, NotificationCategory, Tag

    sql = Dialect(connection.vendor)
    qn = connection.ops.quote_name
    contact_table = qn(get_contact_model()._meta.db_table)
    customer_table = qn(get_customer_model()._meta.db_table)
    email_table = qn(ContactEmail._meta.db_table)
    phone_table = qn(ContactPhone._meta.db_table)
    tag_table = qn(Tag._meta.db_table)
    tag_through = qn(Tag.contacts.through._meta.db_table)
    category_through = qn(NotificationCategory.contacts.through._meta.db_table)
    contacts = expected_contacts(customers, per_customer, big)
    regular = customers * per_customer
    big_customer = customers + 1
    steps: list[tuple[str, str]] = []

    def step(label: str, statement: str) -> None:
        steps.append((label, statement))

    # Small lookup tables the big INSERTs join on by index: portable, unlike arrays.
    step("names", "CREATE TABLE bench_first_names (idx integer PRIMARY KEY, name varchar(50) NOT NULL)")
    step("names", "CREATE TABLE bench_last_names (idx integer PRIMARY KEY, name varchar(50) NOT NULL)")
    step(
        "names",
        "INSERT INTO bench_first_names (idx, name) VALUES "
        + ", ".join(f"({index}, '{name}')" for index, name in enumerate(FIRST_NAMES)),
    )
    step(
        "names",
        "INSERT INTO bench_last_names (idx, name) VALUES "
        + ", ".join(f"({index}, '{name}')" for index, name in enumerate(LAST_NAMES)),
    )
    step(
        "customers",
        f"INSERT INTO {customer_table} (id, name, is_business) "
        f"SELECT i, CASE WHEN i = {big_customer} THEN '{BIG_CUSTOMER_NAME}' "
        f"ELSE CONCAT('Customer ', {sql.text('i')}) END, {sql.true('i % 3 <> 0')} "
        f"FROM {sql.series(big_customer)}",
    )
    # pos: the contact's place within its customer (0 = the primary contact).
    position = f"(CASE WHEN i <= {regular} THEN (i - 1) % {per_customer} ELSE i - {regular} - 1 END)"
    first = f"((i * 37 + {sql.div('i', '1000')}) % {len(FIRST_NAMES)})"
    last = f"((i * 101 + {sql.div('i', '200')}) % {len(LAST_NAMES)})"
    titles = "CASE i % 10 WHEN 0 THEN 'mr' WHEN 1 THEN 'ms' WHEN 2 THEN 'mrs' WHEN 3 THEN 'dr' ELSE '' END"
    jobs = "CASE i % 8 " + " ".join(f"WHEN {n} THEN '{title}'" for n, title in enumerate(JOB_TITLES)) + " END"
    consent = "i % 10 IN (1, 4, 7)"
    step(
        "contacts",
        f"INSERT INTO {contact_table} (id, customer_id, created, modified, title, first_name, middle_name, "
        "last_name, birthday, job_title, timezone, language, notes, is_primary, is_active, managed_by, "
        "email_allowed, sms_allowed, phone_allowed, preferred_channel, automated_followups, marketing_consent, "
        "marketing_consent_at, marketing_consent_source, receive_all_notifications, last_contacted_at, "
        "scope_object_id, scope_content_type_id, user_id, name_key, match_initial_low, match_initial_high, "
        "match_final_low, match_final_high, match_birthday) "
        f"SELECT i, CASE WHEN i <= {regular} THEN {sql.div('i - 1', str(per_customer))} + 1 ELSE {big_customer} END, "
        f"{sql.days_ago('100 + i % 1000')}, {sql.days_ago('i % 100')}, {titles}, f.name, '', l.name, NULL, "
        f"{jobs}, 'Europe/London', CASE i % 5 WHEN 0 THEN 'de' WHEN 1 THEN 'fr' ELSE 'en' END, '', "
        f"{sql.true(f'{position} = 0')}, {sql.true(f'{position} = 0 OR i % 20 <> 3')}, "
        f"CASE WHEN i % 25 = 7 THEN 'customer' ELSE 'provider' END, "
        f"{sql.true('i % 10 <> 9')}, {sql.true('i % 2 = 0')}, {sql.true('i % 10 < 7')}, 'any', "
        f"{sql.true('i % 13 <> 0')}, {sql.true(consent)}, "
        f"CASE WHEN {consent} THEN {sql.days_ago('50 + i % 400')} END, "
        f"CASE WHEN {consent} THEN 'web form' ELSE '' END, {sql.true('i % 5 <> 2')}, "
        f"CASE WHEN i % 5 < 3 THEN {sql.days_ago('i % 365')} END, '', NULL, NULL, "
        # The blocking keys of duplicate detection are left empty: the duplicates
        # benchmarks build their own data, and rebuild_match_keys fills them.
        "LOWER(CONCAT(f.name, ' ', l.name)), '', '', '', '', '' "
        f"FROM {sql.series(contacts)} "
        f"JOIN bench_first_names f ON f.idx = {first} JOIN bench_last_names l ON l.idx = {last}",
    )
    # Emails: 92 % a work address (primary), 25 % a personal one besides.
    step(
        "emails",
        f"INSERT INTO {email_table} (created, modified, is_primary, email, email_normalized, kind, contact_id) "
        f"SELECT c.created, c.modified, {sql.true('1 = 1')}, "
        f"CONCAT(c.first_name, '.', c.last_name, '.', {sql.text('c.id')}, '@company', "
        f"{sql.text('c.customer_id')}, '.example'), "
        f"LOWER(CONCAT(c.first_name, '.', c.last_name, '.', {sql.text('c.id')}, '@company', "
        f"{sql.text('c.customer_id')}, '.example')), 'work', c.id "
        f"FROM {contact_table} c WHERE c.id % 25 NOT IN (3, 11)",
    )
    step(
        "emails",
        f"INSERT INTO {email_table} (created, modified, is_primary, email, email_normalized, kind, contact_id) "
        f"SELECT c.created, c.modified, {sql.true('c.id % 25 IN (3, 11)')}, "
        f"CONCAT(LOWER(c.first_name), {sql.text('c.id')}, '@mail.example'), "
        f"CONCAT(LOWER(c.first_name), {sql.text('c.id')}, '@mail.example'), 'personal', c.id "
        f"FROM {contact_table} c WHERE c.id % 4 = 0",
    )
    # Phones: 80 % a mobile (primary), 30 % a work number.
    step(
        "phones",
        f"INSERT INTO {phone_table} (created, modified, is_primary, number, kind, contact_id) "
        f"SELECT c.created, c.modified, {sql.true('1 = 1')}, CONCAT('+4477', LPAD({sql.text('c.id')}, 8, '0')), "
        f"'mobile', c.id FROM {contact_table} c WHERE c.id % 5 <> 4",
    )
    step(
        "phones",
        f"INSERT INTO {phone_table} (created, modified, is_primary, number, kind, contact_id) "
        f"SELECT c.created, c.modified, {sql.true('c.id % 5 = 4')}, "
        f"CONCAT('+4420', LPAD({sql.text('c.id')}, 8, '0')), 'work', c.id "
        f"FROM {contact_table} c WHERE c.id % 10 IN (0, 3, 4)",
    )
    step(
        "tags",
        f"INSERT INTO {tag_table} (name, name_key) VALUES "
        + ", ".join(f"('{name}', '{' '.join(name.split()).casefold()}')" for name in TAG_NAMES),
    )
    step(
        "tags",
        f"INSERT INTO {tag_through} (tag_id, contact_id) "
        f"SELECT t.id, c.id FROM {contact_table} c JOIN {tag_table} t "
        f"ON t.name = CASE c.id % 20 "
        + " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(TAG_NAMES))
        + " END WHERE c.id % 3 = 0",
    )
    step(
        "tags",
        f"INSERT INTO {tag_through} (tag_id, contact_id) "
        f"SELECT t.id, c.id FROM {contact_table} c JOIN {tag_table} t "
        f"ON t.name = CASE ({sql.div('c.id', '7')} + 3) % 20 "
        + " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(TAG_NAMES))
        + f" END WHERE c.id % 7 = 0 AND (({sql.div('c.id', '7')} + 3) % 20 <> c.id % 20 OR c.id % 3 <> 0)",
    )
    # Contacts that don't receive everything are in one category each.
    step(
        "categories",
        f"INSERT INTO {category_through} (notificationcategory_id, contact_id) "
        f"SELECT n.id, c.id FROM {contact_table} c JOIN {qn(NotificationCategory._meta.db_table)} n "
        f"ON n.code = CASE {sql.div('c.id', '5')} % 5 WHEN 0 THEN 'billing' WHEN 1 THEN 'helpdesk' WHEN 2 THEN 'usage' "
        "WHEN 3 THEN 'outages' ELSE 'general' END "
        "WHERE c.receive_all_notifications = FALSE",
    )
    step("names", "DROP TABLE bench_first_names")
    step("names", "DROP TABLE bench_last_names")

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys are checked by triggers: the rows are made consistent by construction.
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
        with transaction.atomic():
            for label, statement in steps:
                started = time.perf_counter()
                cursor.execute(statement)
                log(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
            for model in (get_customer_model(), get_contact_model()):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {qn(table)}))", [table]
                )
        else:
            cursor.execute("SET SESSION foreign_key_checks = 1, unique_checks = 1")
    analyze(log)


def analyze(log=print) -> None:
    """What autovacuum or InnoDB's statistics would do after a bulk load, now."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM sets the visibility map, so index-only scans need no heap visit.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("SHOW TABLES")
            tables = [row[0] for row in cursor.fetchall()]
            for table in tables:
                cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
                cursor.fetchall()
    log(f"  statistics: {time.perf_counter() - started:.1f} s")


def open_database(
    db: str, name: str, *, customers: int = 100_000, per_customer: int = 10, big: int = 20_000, rebuild: bool = False
) -> None:
    """Configure Django for the benchmark database ``name``, building it if need be.

    After this, ``django.db.connection`` is the benchmark database, migrated to the
    checked-out code (``migrate`` runs every time, so a new index migration is applied)
    and holding the expected number of contacts.
    """
    setup(db, name)
    from django.core.management import call_command
    from django.db import connection

    from django_customer_contacts import get_contact_model

    exists = database_exists(connection, name)
    if rebuild or not exists:
        create_database(connection, name, drop=exists)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    want = expected_contacts(customers, per_customer, big)
    have = get_contact_model()._default_manager.count()
    if have == want:
        warn_small_cache(name)
        return
    if have:
        raise SystemExit(f"{name} holds {have:,} contacts, not {want:,}: rebuild it with --rebuild.")
    print(f"building {name} ({connection.vendor}): {want:,} contacts (migrate: {migrated:.1f} s)")
    started = time.perf_counter()
    populate(customers, per_customer, big)
    print(f"built in {time.perf_counter() - started:.0f} s")
    warn_small_cache(name)


def warn_small_cache(name: str) -> None:
    """Say so when MariaDB's buffer pool can't hold the database.

    InnoDB reads with ``O_DIRECT``, past the operating system's cache: with the
    default 128 MiB pool, every query of a million contacts reads from disk, and the
    benchmarks measure the disk. PostgreSQL reads through the operating system's cache.
    """
    from django.db import connection

    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT @@innodb_buffer_pool_size, SUM(data_length + index_length) FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = %s",
            [name],
        )
        pool, size = (int(value or 0) for value in cursor.fetchone())
    if pool < size * 1.5:
        print(
            f"warning: innodb_buffer_pool_size is {pool / 2**20:,.0f} MiB for a database of {size / 2**20:,.0f} MiB:"
            " queries read from disk. As root: SET GLOBAL innodb_buffer_pool_size = 3221225472"
            " (the figures in docs/performance.rst were measured so)."
        )


def big_customer_id(customers: int = 100_000) -> int:
    return customers + 1


def benchmark_parser(doc: str, repeat: int) -> argparse.ArgumentParser:
    """The options every benchmark on the million-contact database takes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "mariadb"], required=True)
    parser.add_argument("--name", required=True, help="the million-contact database (built if missing)")
    parser.add_argument("--repeat", type=int, default=repeat, help="timed runs (the median is shown)")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    return parser


def median_ms(run, repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``run()``, in milliseconds (one warm-up call first)."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def medians_in_turns(runs, repeat: int) -> list[float]:
    """The median wall time of each of ``runs`` over ``repeat`` rounds that call each in turn, in ms.

    One warm-up round first. Taking turns, the runs share whatever load the machine has.
    """
    for run in runs:
        run()
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, taken in zip(runs, times, strict=True):
            started = time.perf_counter()
            run()
            taken.append((time.perf_counter() - started) * 1000)
    return [statistics.median(taken) for taken in times]


def run_sql(sql: str, params=()) -> int:
    """Execute ``sql`` and fetch every row, as the ORM would; the number of rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def server_ms(sql: str, params=()) -> float:
    """The database's own execution time of ``sql``, without sending the rows (``EXPLAIN ANALYZE``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return float(plan[0]["Execution Time"])
        cursor.execute(f"ANALYZE FORMAT=JSON {sql}", params)
        return float(json.loads(cursor.fetchone()[0])["query_block"]["r_total_time_ms"])


def explain(sql: str, params=()) -> str:
    """The plan with actual rows and times: ``EXPLAIN ANALYZE`` (PostgreSQL) or ``ANALYZE`` (MariaDB)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"ANALYZE {sql}", params)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    keep = ["id", "select_type", "table", "type", "key", "rows", "r_rows", "filtered", "r_filtered", "Extra"]
    lines = [" | ".join(keep)]
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        lines.append(" | ".join(str(values.get(name, "")) for name in keep))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "mariadb"], required=True)
    parser.add_argument("--name", required=True, help="database name (kept for the benchmarks)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--per-customer", type=int, default=10)
    parser.add_argument("--big", type=int, default=20_000, help="contacts of the one big customer")
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it again")
    options = parser.parse_args()
    open_database(
        options.db,
        options.name,
        customers=options.customers,
        per_customer=options.per_customer,
        big=options.big,
        rebuild=options.rebuild,
    )
    from django.db import connection

    from django_customer_contacts import get_contact_model

    print(f"{options.name} ({connection.vendor}): {get_contact_model()._default_manager.count():,} contacts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
