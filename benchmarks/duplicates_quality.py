"""How good is duplicate detection? Pairwise precision, recall and F1 on generated data.

    python benchmarks/duplicates_quality.py                # SQLite, the two seeds below
    python benchmarks/duplicates_quality.py --db postgres --people 20000

Writes the contacts ``duplicates_data.generate()`` makes (see its docstring for the
corruption model) into a throw-away database, runs ``find_duplicate_contacts()`` as a
host would — through the ORM, the stored blocking keys and the default threshold — and
compares its groups with the truth: a pair of contacts is a true pair when both are
the same generated person; a found pair when both are in one group. Precision is the
share of found pairs that are true, recall the share of true pairs found.

Seed 1 is the *tuning* set: the weights in ``matching.WEIGHTS`` and the default
``DUPLICATE_MIN_SCORE`` were chosen on it. Seed 2 is the *evaluation* set, never looked
at while tuning: its numbers are the ones the docs publish. Each is measured twice:
with names and birthdays alone (no email address or phone number written at all), and
with every signal. "Blocking recall" is the share of true pairs that share a blocking
key, an address or a number: the most any threshold could find.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from duplicates_data import Row, generate  # noqa: E402
from merge_benchmark import setup  # noqa: E402

TUNING_SEED, EVALUATION_SEED = 1, 2


def write(customers: list[list[Row]]) -> dict[int, int]:
    """Write the rows; return each contact's person, by contact pk."""
    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone
    from django_customer_contacts.normalize import email_key, name_key, parse_phone

    customer_model, contact_model = get_customer_model(), get_contact_model()
    made = customer_model.objects.bulk_create(customer_model(name=f"Customer {i}") for i in range(len(customers)))
    rows, contacts = [], []
    for customer, customer_rows in zip(made, customers, strict=True):
        for row in customer_rows:
            contact = contact_model(
                customer=customer,
                first_name=row.first_name,
                middle_name=row.middle_name,
                last_name=row.last_name,
                birthday=row.birthday,
            )
            contact.name_key = name_key(contact.full_name)
            contact.set_match_keys()  # what save() does; bulk_create() doesn't call it
            rows.append(row)
            contacts.append(contact)
    contacts = contact_model.objects.bulk_create(contacts, batch_size=2000)
    emails, phones = [], []
    for contact, row in zip(contacts, rows, strict=True):
        for index, address in enumerate(dict.fromkeys(row.emails)):
            emails.append(
                ContactEmail(
                    contact=contact, email=address.strip(), email_normalized=email_key(address), is_primary=not index
                )
            )
        seen = set()
        for index, (number, kind) in enumerate(row.phones):
            parsed = parse_phone(number)
            if parsed is None or parsed.as_e164 in seen:
                continue
            seen.add(parsed.as_e164)
            phones.append(ContactPhone(contact=contact, number=parsed.as_e164, kind=kind, is_primary=not index))
    ContactEmail.objects.bulk_create(emails, batch_size=2000)
    ContactPhone.objects.bulk_create(phones, batch_size=2000)
    return {contact.pk: row.person for contact, row in zip(contacts, rows, strict=True)}


def true_pairs(person_of: dict[int, int]) -> set[tuple[int, int]]:
    by_person: dict[int, list[int]] = defaultdict(list)
    for pk, person in person_of.items():
        by_person[person].append(pk)
    return {pair for pks in by_person.values() for pair in itertools.combinations(sorted(pks), 2)}


def blocked_pairs() -> set[tuple[int, int]]:
    """Pairs of contacts of one customer sharing a blocking key, an address or a number."""
    from django_customer_contacts import get_contact_model
    from django_customer_contacts.models import MATCH_KEY_FIELDS, ContactEmail, ContactPhone

    blocks: dict[tuple, list[int]] = defaultdict(list)
    for pk, customer_id, *keys in get_contact_model().objects.values_list("pk", "customer_id", *MATCH_KEY_FIELDS):
        for name, key in zip(MATCH_KEY_FIELDS, keys, strict=True):
            if key:
                blocks[name, customer_id, key].append(pk)
    for model, column in ((ContactEmail, "email_normalized"), (ContactPhone, "number")):
        for pk, customer_id, key in model.objects.values_list("contact_id", "contact__customer_id", column):
            blocks[column, customer_id, str(key)].append(pk)
    return {pair for pks in blocks.values() for pair in itertools.combinations(sorted(pks), 2)}


def wipe() -> None:
    """Empty the tables a measurement writes (raw deletes: no signals, no history)."""
    from django.db import connection

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone

    for model in (ContactEmail, ContactPhone, get_contact_model(), get_customer_model()):
        history = getattr(model, "history", None)
        for table in [model, *([history.model] if history is not None else [])]:
            table._base_manager.all()._raw_delete(connection.alias)


def measure(seed: int, people: int, signals: str) -> dict[str, float]:
    from django_customer_contacts.conf import app_settings
    from django_customer_contacts.services import find_duplicate_contacts

    wipe()
    person_of = write(generate(seed, people=people, signals=signals))
    truth = true_pairs(person_of)
    start = time.perf_counter()
    groups = find_duplicate_contacts()
    elapsed = time.perf_counter() - start
    found = {pair for group in groups for pair in itertools.combinations(group.contact_ids, 2)}
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth)
    return {
        "contacts": len(person_of),
        "true pairs": len(truth),
        "found pairs": len(found),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if hits else 0.0,
        "blocking recall": len(blocked_pairs() & truth) / len(truth),
        "seconds": elapsed,
        "min_score": app_settings.duplicate_min_score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    parser.add_argument("--people", type=int, default=20_000, help="people per data set (default 20,000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[TUNING_SEED, EVALUATION_SEED])
    args = parser.parse_args()
    setup(args.db)

    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print("| set | signals | contacts | true pairs | precision | recall | F1 | blocking recall |", flush=True)
        print("|---|---|---|---|---|---|---|---|", flush=True)
        for seed in args.seeds:
            label = {TUNING_SEED: "tuning (seed 1)", EVALUATION_SEED: "evaluation (seed 2)"}.get(seed, f"seed {seed}")
            for signals, title in (("names", "names + birthday"), ("all", "all signals")):
                m = measure(seed, args.people, signals)
                print(
                    f"| {label} | {title} | {m['contacts']:,} | {m['true pairs']:,} | {m['precision']:.3f} | "
                    f"{m['recall']:.3f} | {m['f1']:.3f} | {m['blocking recall']:.3f} |",
                    flush=True,
                )
        print(f"{connection.vendor}, min_score {m['min_score']} (the default)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
