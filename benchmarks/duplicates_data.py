"""Generated contacts with known duplicates: the data of the duplicate benchmarks.

``generate(seed, people=…)`` returns customers, each a list of :class:`Row` — a contact
to write — whose ``person`` says who the contact really is: two rows with the same
``person`` are duplicates, all others are not. Names come from the lists below (no
Faker: the data must be the same on every machine and version), common names more
often than rare ones, so namesakes happen as they do in real data.

The corruption model
--------------------

Each customer has 5 to 80 people. A person has a given name, a middle name (30 %), a
surname, a birthday (92 %), an email address (85 %) and a mobile number (80 %).

Hard negatives — distinct people who look alike:

* families: in 30 % of customers, one or two households of 2 to 5 people share a
  surname and a home landline; 30 % of households also share one email address. Their
  given names differ, and so do their birthdays but for twins (10 % of members after
  the first share the previous member's birthday);
* namesakes: 3 % of people get the given name and surname of another person of their
  customer (another birthday, address and number).

Duplicates: 30 % of people have one more contact, 5 % two more. Each copy gets 1 (45 %),
2 (35 %) or 3 (20 %) corruptions, drawn without repetition, by weight:

=====================================  ======  ==========================================
corruption                             weight  what it does
=====================================  ======  ==========================================
typo in the given name                 2       one letter inserted, deleted, replaced, or
                                               two neighbours swapped, anywhere
typo in the surname                    2       the same, in the surname
nickname                               1       Robert -> Bob (given names with one)
middle name dropped or added           1       dropped when there is one, else added
middle name in the first name          0.5     first_name "Samuel David", no middle name
first and last name swapped            0.6
accents dropped                        0.5     José -> Jose (names with accents)
birthday missing                       1
day and month swapped                  0.6     birthdays with a day up to 12
email missing                          0.7
another email address                  0.5     a new address of the person's
email with a +tag                      0.3     jane+crm@…
phone missing                          0.7
another phone number                   0.5
=====================================  ======  ==========================================

and, not counted as corruptions, in 30 % of copies the names' letter case changes
(``SMITH``, ``jane``), in 30 % the address's case and surrounding spaces, and in 50 %
the number is written nationally (``07911 123456`` for ``+447911123456``).

``signals="names"`` leaves out every email and phone (the "names and birthday alone"
measurement); the corruptions that touch them are then never drawn.
"""

from __future__ import annotations

import datetime
import itertools
import random
import unicodedata
from dataclasses import dataclass, field, replace

GIVEN = {
    "f": """
Mary Elizabeth Sarah Emma Olivia Anna Maria Laura Julia Sophie Charlotte Emily Hannah Lucy Grace
Katherine Margaret Susan Patricia Jennifer Linda Barbara Jessica Karen Nancy Lisa Betty Sandra
Ashley Kimberly Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Sharon Cynthia
Kathleen Amy Angela Helen Brenda Pamela Nicole Samantha Christina Victoria Rachel Catherine
Chloé Zoë Renée Inés Agnès Léa Björk Åsa Małgorzata Zuzana Ana Lucía Sofía Camila Isabella
Noémie Céline Greta Ingrid Astrid Freya Ida Alice Clara Eva Nora Mia Leonie Paula Marta Alicia
Jane Joan Jean Ann Anne
""".split(),  # noqa: SIM905
    "m": """
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward
Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin
Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron José Jürgen Björn
François Søren Łukasz André Rémi Jérôme Zoltán Miloš Ángel Raúl Andrés Joaquín Hélio Nils Lars
Sven Pieter Hugo Felix Oscar Leon Emil Omar Raj Arjun Wei Hiroshi Kofi Mateo Luca Marco Jon Sean
Ian Ray Roy
""".split(),  # noqa: SIM905
}
SURNAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Müller Schmidt
Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Lefèvre Lambert Fontaine
Rousseau Mercier Girard Bonnet Álvarez Fernández Gómez Díaz Jiménez Muñoz Romero Navarro Rossi
Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Kowalski Nowak Wiśniewski
Wójcik Kamiński Lewandowski Novák Svoboda Dvořák Horváth Nagy Tóth Szabó Jensen Nielsen Hansen
Pedersen Andersen Østergaard Johansson Karlsson Nilsson Eriksson Larsson Olsen Virtanen Korhonen
Mäkinen O'Brien O'Connor Murphy Kelly Sullivan Walsh McCarthy Byrne Ryan Doyle Quinn Fitzgerald
Bakker Janssen Visser Smit Meijer Peeters Wouters Silva Santos Oliveira Pereira Costa Ferreira
Almeida Tanaka Suzuki Sato Kim Park Chen Wang Li Zhang Liu Singh Kumar Patel Shah Gupta Okafor
Mensah Haddad Yilmaz Kaya García López Sánchez Pérez Martínez Pařízek Çelik Öztürk Şahin Zając
Gruber Huber Wallner Moser Stewart Morris Rogers Reed Cook Morgan Bell Murray Cooper Richardson
Cox Howard Ward Peterson Gray James Watson Brooks Sanders Price Bennett Wood Barnes Ross
Henderson Coleman Jenkins Perry Powell Long Patterson Hughes Butler Simmons Foster Bryant
Alexander Russell Griffin Hayes Myers Ford Hamilton Graham Wallace Woods Cole West Jordan Owens
Reynolds Fisher Ellis Harrison Gibson Dijkstra Vries
""".split()  # noqa: SIM905

#: Short forms a copy may use instead of the given name.
NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"],
    "William": ["Bill", "Will", "Billy"],
    "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Margaret": ["Maggie", "Peggy", "Meg"],
    "Richard": ["Rick", "Dick", "Rich"],
    "James": ["Jim", "Jimmy"],
    "John": ["Johnny", "Jack"],
    "Michael": ["Mike", "Mick"],
    "Katherine": ["Kate", "Kathy", "Katie"],
    "Catherine": ["Cathy", "Kate"],
    "Joseph": ["Joe", "Joey"],
    "Thomas": ["Tom", "Tommy"],
    "Charles": ["Charlie", "Chuck"],
    "Christopher": ["Chris", "Kit"],
    "Daniel": ["Dan", "Danny"],
    "Matthew": ["Matt"],
    "Anthony": ["Tony"],
    "Andrew": ["Andy", "Drew"],
    "Joshua": ["Josh"],
    "Kenneth": ["Ken"],
    "Timothy": ["Tim"],
    "Ronald": ["Ron"],
    "Edward": ["Ed", "Ted", "Eddie"],
    "Jeffrey": ["Jeff"],
    "Nicholas": ["Nick"],
    "Jonathan": ["Jon"],
    "Stephen": ["Steve"],
    "Steven": ["Steve"],
    "Lawrence": ["Larry"],
    "Benjamin": ["Ben"],
    "Samuel": ["Sam"],
    "Samantha": ["Sam"],
    "Gregory": ["Greg"],
    "Alexander": ["Alex"],
    "Patrick": ["Pat"],
    "Patricia": ["Pat", "Patty", "Trish"],
    "Jennifer": ["Jen", "Jenny"],
    "Jessica": ["Jess"],
    "Susan": ["Sue", "Susie"],
    "Deborah": ["Debbie", "Deb"],
    "Rebecca": ["Becky"],
    "Pamela": ["Pam"],
    "Victoria": ["Vicky"],
    "Christina": ["Chris", "Tina"],
    "Barbara": ["Barb"],
    "Donald": ["Don"],
    "Raymond": ["Ray"],
}

DOMAINS = ["example.com", "example.org", "mail.example.net", "post.example.de", "example.co.uk"]


@dataclass
class Row:
    """A contact to write; ``person`` is who it really is."""

    person: int
    first_name: str
    last_name: str
    middle_name: str = ""
    birthday: datetime.date | None = None
    emails: list[str] = field(default_factory=list)
    #: (number as typed, kind)
    phones: list[tuple[str, str]] = field(default_factory=list)


class _Names:
    """Names drawn by rank ``r`` with weight ``1 / (r + shift)``: common names are
    common, rare ones still come up."""

    def __init__(self, names: list[str], shift: int) -> None:
        self.names = names
        self.cum_weights = list(itertools.accumulate(1 / (rank + shift) for rank in range(len(names))))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cum_weights)[0]


def _made_up(rng: random.Random, count: int, endings: list[str], taken: set[str]) -> list[str]:
    """``count`` pronounceable names that are no real one: "Brandelsk", "Tovimar"."""
    onsets = [
        "b",
        "br",
        "c",
        "ch",
        "d",
        "dr",
        "f",
        "g",
        "gr",
        "h",
        "j",
        "k",
        "kl",
        "l",
        "m",
        "n",
        "p",
        "pr",
        "r",
        "s",
        "sh",
        "st",
        "t",
        "tr",
        "v",
        "w",
        "z",
    ]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ee", "ia"]
    found: list[str] = []
    while len(found) < count:
        name = (rng.choice(onsets) + rng.choice(vowels) + rng.choice(onsets) + rng.choice(vowels)).rstrip("aeiou")
        name = (name + rng.choice(endings)).capitalize()
        if name not in taken:
            taken.add(name)
            found.append(name)
    return found


def vocabulary(size: str) -> tuple[dict[str, _Names], _Names]:
    """Given names by sex, and surnames. ``"small"``: the lists above, Smith one person
    in 14 (many namesakes: the quality measurement's hard case). ``"large"``: the lists
    above first, then 2,000 made-up given names and 20,000 made-up surnames, so that
    Smith is about one person in 75, as in real populations — what a customer with
    20,000 contacts looks like."""
    if size == "small":
        return {sex: _Names(names, 3) for sex, names in GIVEN.items()}, _Names(SURNAMES, 3)
    rng = random.Random(0)
    taken = {*GIVEN["f"], *GIVEN["m"], *SURNAMES}
    given = {
        "f": _Names(GIVEN["f"] + _made_up(rng, 1000, ["a", "ia", "ine", "elle", "e"], taken), 5),
        "m": _Names(GIVEN["m"] + _made_up(rng, 1000, ["o", "an", "el", "ar", "us"], taken), 5),
    }
    endings = ["son", "man", "berg", "ez", "ski", "ov", "er", "ley", "ton", "i", "en", "ard", "ick"]
    return given, _Names(SURNAMES + _made_up(rng, 20_000, endings, taken), 10)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 2:
        return word
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = rng.randrange(len(word))
    kind = rng.choice(["insert", "delete", "replace", "swap"])
    if kind == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == "delete" and len(word) > 2:
        return word[:i] + word[i + 1 :]
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    replaced = rng.choice([c for c in letters if c != word[i].lower()])
    return word[:i] + (replaced.upper() if word[i].isupper() else replaced) + word[i + 1 :]


def _email(rng: random.Random, first: str, last: str, n: int) -> str:
    local = _strip_accents(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
    return f"{local}{n}@{rng.choice(DOMAINS)}"


def _mobile(rng: random.Random) -> str:
    return f"+447{rng.randrange(100_000_000, 999_999_999)}"


def _landline(rng: random.Random) -> str:
    return f"+4420{rng.randrange(10_000_000, 99_999_999)}"


def _national(number: str) -> str:
    # +447911123456 -> 07911 123456; +442012345678 -> 020 1234 5678
    digits = "0" + number[3:]
    if digits.startswith("07"):
        return f"{digits[:5]} {digits[5:]}"
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


class _People:
    def __init__(self, rng: random.Random, signals: str, names: str = "small") -> None:
        self.given, self.surnames = vocabulary(names)
        self.rng = rng
        self.signals = signals
        self.next_person = 0
        self.next_address = 0

    def person(self, surname: str | None = None, sex: str | None = None, taken: set[str] | None = None) -> Row:
        rng = self.rng
        sex = sex or rng.choice("fm")
        given = self.given[sex](rng)
        while taken and given in taken:
            given = self.given[sex](rng)
        surname = surname or self.surnames(rng)
        self.next_person += 1
        row = Row(person=self.next_person, first_name=given, last_name=surname)
        if rng.random() < 0.3:
            row.middle_name = self.given[sex](rng)
        if rng.random() < 0.92:
            row.birthday = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 65))
        if self.signals == "all":
            if rng.random() < 0.85:
                self.next_address += 1
                row.emails.append(_email(rng, given, surname, self.next_address))
            if rng.random() < 0.8:
                row.phones.append((_mobile(rng), "mobile"))
        return row

    def copy(self, row: Row) -> Row:
        """A duplicate of ``row``, corrupted (see the module docstring)."""
        rng = self.rng
        dup = replace(row, emails=list(row.emails), phones=list(row.phones))
        options = {
            "typo_given": 2.0,
            "typo_surname": 2.0,
            "nickname": 1.0 if row.first_name in NICKNAMES else 0.0,
            "middle": 1.0,
            "middle_in_first": 0.5 if row.middle_name else 0.0,
            "swap": 0.6,
            "accents": 0.5 if _strip_accents(row.first_name + row.last_name) != row.first_name + row.last_name else 0,
            "birthday_missing": 1.0 if row.birthday else 0.0,
            "birthday_swap": 0.6
            if row.birthday and row.birthday.day <= 12 and row.birthday.day != row.birthday.month
            else 0,
            "email_missing": 0.7 if row.emails else 0.0,
            "email_other": 0.5 if row.emails else 0.0,
            "email_tag": 0.3 if row.emails else 0.0,
            "phone_missing": 0.7 if row.phones else 0.0,
            "phone_other": 0.5 if row.phones else 0.0,
        }
        count = rng.choices([1, 2, 3], [45, 35, 20])[0]
        chosen: list[str] = []
        while len(chosen) < count:
            names = [name for name, weight in options.items() if weight and name not in chosen]
            if not names:
                break
            chosen.append(rng.choices(names, [options[name] for name in names])[0])
        for corruption in chosen:
            if corruption == "typo_given":
                dup.first_name = _typo(rng, dup.first_name)
            elif corruption == "typo_surname":
                dup.last_name = _typo(rng, dup.last_name)
            elif corruption == "nickname":
                dup.first_name = rng.choice(NICKNAMES[row.first_name])
            elif corruption == "middle":
                dup.middle_name = "" if dup.middle_name else self.given[rng.choice("fm")](rng)
            elif corruption == "middle_in_first":
                dup.first_name, dup.middle_name = f"{dup.first_name} {dup.middle_name}", ""
            elif corruption == "swap":
                dup.first_name, dup.last_name = dup.last_name, dup.first_name
            elif corruption == "accents":
                dup.first_name, dup.last_name = _strip_accents(dup.first_name), _strip_accents(dup.last_name)
            elif corruption == "birthday_missing":
                dup.birthday = None
            elif corruption == "birthday_swap" and dup.birthday is not None:
                dup.birthday = dup.birthday.replace(month=dup.birthday.day, day=dup.birthday.month)
            elif corruption == "email_missing":
                dup.emails = []
            elif corruption == "email_other":
                self.next_address += 1
                dup.emails = [_email(rng, row.first_name, row.last_name, self.next_address)]
            elif corruption == "email_tag" and dup.emails:
                local, _at, domain = dup.emails[0].partition("@")
                dup.emails = [f"{local}+crm@{domain}"]
            elif corruption == "phone_missing":
                dup.phones = []
            elif corruption == "phone_other":
                dup.phones = [(_mobile(rng), "mobile")]
        if rng.random() < 0.3:
            dup.first_name = rng.choice([str.upper, str.lower])(dup.first_name)
            dup.last_name = rng.choice([str.upper, str.lower])(dup.last_name)
        if dup.emails and rng.random() < 0.3:
            dup.emails = [f"  {address.upper()} " for address in dup.emails]
        if rng.random() < 0.5:
            dup.phones = [
                (_national(number) if number.startswith("+44") else number, kind) for number, kind in dup.phones
            ]
        return dup


def generate(
    seed: int, people: int = 10_000, signals: str = "all", sizes: tuple[int, int] = (5, 80), names: str = "small"
) -> list[list[Row]]:
    """About ``people`` people in customers of ``sizes`` people, with their duplicates.

    ``signals`` is ``"all"`` or ``"names"`` (names and birthday alone); ``names`` the
    :func:`vocabulary`.
    """
    rng = random.Random(seed)
    make = _People(rng, signals, names)
    customers: list[list[Row]] = []
    made = 0
    while made < people:
        size = rng.randint(*sizes)
        rows: list[Row] = []
        if rng.random() < 0.3:
            for _family in range(rng.choice([1, 1, 2])):
                surname = make.surnames(rng)
                landline = _landline(rng)
                shared_email = _email(rng, "family", surname, make.next_address + 1) if rng.random() < 0.3 else ""
                make.next_address += 1
                taken: set[str] = set()
                members: list[Row] = []
                for _member in range(rng.randint(2, 5)):
                    member = make.person(surname=surname, taken=taken)
                    taken.add(member.first_name)
                    if members and rng.random() < 0.1:  # twins
                        member.birthday = members[-1].birthday
                    members.append(member)
                    if signals == "all":
                        member.phones.append((landline, "home"))
                        if shared_email:
                            member.emails = [shared_email]
                    rows.append(member)
        while len(rows) < size:
            row = make.person()
            if rows and rng.random() < 0.03:
                other = rng.choice(rows)
                row.first_name, row.last_name = other.first_name, other.last_name
            rows.append(row)
        copies = []
        for row in rows:
            roll = rng.random()
            for _copy in range(2 if roll < 0.05 else 1 if roll < 0.35 else 0):
                copies.append(make.copy(row))
        rows.extend(copies)
        rng.shuffle(rows)
        customers.append(rows)
        made += size
    return customers
