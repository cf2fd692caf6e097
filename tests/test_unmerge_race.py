"""An undo racing a new merge of the same surviving contact loses no row and never deadlocks.

Needs row locks, so it runs on PostgreSQL and MariaDB. The random tests start the undo and
the merge at a barrier, each thread on its own connection, for ``ROUNDS`` rounds; the
deterministic ones hold one operation's transaction open (a receiver of its signal
sleeps) while the other runs. Figures go to test-artifacts/.
"""

from collections import defaultdict
from functools import partial

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import UnmergeOrderError
from django_customer_contacts.models import ContactEmail, MergeRecord
from django_customer_contacts.services import merge_contacts, unmerge
from django_customer_contacts.signals import contacts_merged, contacts_unmerged
from tests.merge_fixtures import add_emails, add_fk_rows, fk_rows, host
from tests.race_helpers import ROUNDS, Tally, holding, in_thread, run_at_once

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def merged_case(make_customer, make_contact, names=("Main", "Dup", "New")):
    """Contacts with two emails and two invoices (tickets) each; Dup merged into Main."""
    customer = make_customer()
    contacts = []
    for name in names:
        contact = make_contact(customer, first_name=name)
        add_emails(contact, 2, prefix=f"{name.lower()}-{contact.pk}-")
        add_fk_rows(contact, 2, prefix=f"{name}-{contact.pk}")
        contacts.append(contact)
    record = merge_contacts(contacts[0], [contacts[1]])
    return record, contacts


def rows_by_contact(contacts):
    """Each contact's email addresses and host rows, by contact pk (from any contact given)."""
    pks = [c.pk for c in contacts]
    rows = defaultdict(set)
    for contact_id, address in ContactEmail.objects.filter(contact_id__in=pks).values_list("contact_id", "email"):
        rows[contact_id].add(address)
    for row in host.fk_model.objects.filter(**{f"{host.fk_field}__in": pks}):
        rows[getattr(row, f"{host.fk_field}_id")].add(getattr(row, host.fk_label))
    return rows


def owned_at_start(contacts):
    """What each contact owned before the merge in ``merged_case``: its own rows."""
    rows = {}
    for contact in contacts:
        emails = {f"{contact.first_name.lower()}-{contact.pk}-{i}@example.com" for i in range(2)}
        invoices = {f"{contact.first_name}-{contact.pk}-{i}" for i in range(2)}
        rows[contact.pk] = emails | invoices
    return rows


def expected_rows(start, contacts):
    """What each living contact should hold now: its own rows and those of the contacts
    merged into it by merges not undone."""
    living = set(get_contact_model().objects.filter(pk__in=[c.pk for c in contacts]).values_list("pk", flat=True))
    holder = {pk: pk for pk in start}
    # Follow the merges in order: a contact merged away hands its rows to the survivor.
    for record in MergeRecord.objects.filter(undone_at__isnull=True).order_by("pk"):
        for merged in record.merged_ids:
            for pk, at in holder.items():
                if at == merged:
                    holder[pk] = record.contact_id if record.contact_id in living else record.survivor["pk"]
    expected = defaultdict(set)
    for pk, at in holder.items():
        expected[at] |= start[pk]
    return {pk: expected[pk] for pk in living}


def misplaced(start, contacts):
    now = rows_by_contact(contacts)
    expected = expected_rows(start, contacts)
    return {pk: (sorted(rows), sorted(now[pk])) for pk, rows in expected.items() if now[pk] != rows}


# -- random rounds --------------------------------------------------------------------------------


def test_an_undo_and_a_new_merge_into_the_same_contact_both_land(make_customer, make_contact):
    tally = Tally("unmerge-vs-merge-into-survivor")
    for _round in range(ROUNDS):
        record, (main, dup, new) = merged_case(make_customer, make_contact)
        start = owned_at_start([main, dup, new])
        outcomes = run_at_once(partial(unmerge, record.pk), partial(merge_contacts, main, [new]))
        contacts = [main, dup, new]
        tally.round(
            outcomes,
            refused=any(o.kind != "ok" for o in outcomes),
            misplaced_rows=bool(misplaced(start, contacts)),
            duplicate_not_restored=not get_contact_model().objects.filter(pk=dup.pk).exists(),
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


def test_an_undo_and_a_merge_of_the_surviving_contact_away_never_lose_a_row(make_customer, make_contact):
    tally = Tally("unmerge-vs-merge-of-survivor")
    for _round in range(ROUNDS):
        record, (main, dup, other) = merged_case(make_customer, make_contact, ("Main", "Dup", "Other"))
        start = owned_at_start([main, dup, other])
        undo, merge = run_at_once(partial(unmerge, record.pk), partial(merge_contacts, other, [main]))
        restored = get_contact_model().objects.filter(pk=dup.pk).exists()
        tally.round(
            [undo, merge],
            merge_refused=merge.kind != "ok",
            undo_refused_unclearly=undo.kind == "clear" and not isinstance(undo.error, UnmergeOrderError),
            undo_said_done_but_nothing_restored=undo.kind == "ok" and not restored,
            misplaced_rows=bool(misplaced(start, [main, dup, other])),
        )
    figures = tally.report()
    assert figures["rounds_failed"] == {}, figures["examples"]


# -- one transaction held open -------------------------------------------------------------------


def test_a_merge_into_the_survivor_waits_for_an_undo_and_then_lands(make_customer, make_contact):
    record, (main, dup, new) = merged_case(make_customer, make_contact)
    start = owned_at_start([main, dup, new])
    with holding(contacts_unmerged) as undo_waits:
        undoing, undo_outcome = in_thread(lambda: unmerge(record.pk))
        assert undo_waits.wait(10)
        merging, merge_outcome = in_thread(lambda: merge_contacts(main, [new]))
        undoing.join(30)
        merging.join(30)
    assert undo_outcome[0].kind == "ok", undo_outcome
    assert merge_outcome[0].kind == "ok", merge_outcome
    assert misplaced(start, [main, dup, new]) == {}
    assert fk_rows(dup).count() == 2 and fk_rows(main).count() == 4


def test_an_undo_waits_for_a_merge_of_the_survivor_and_then_says_which_to_undo_first(make_customer, make_contact):
    record, (main, dup, other) = merged_case(make_customer, make_contact, ("Main", "Dup", "Other"))
    start = owned_at_start([main, dup, other])
    with holding(contacts_merged) as merge_waits:
        merging, merge_outcome = in_thread(lambda: merge_contacts(other, [main]))
        assert merge_waits.wait(10)
        undoing, undo_outcome = in_thread(lambda: unmerge(record.pk))
        merging.join(30)
        undoing.join(30)
    assert merge_outcome[0].kind == "ok", merge_outcome
    [undo] = undo_outcome
    assert undo.kind == "clear" and isinstance(undo.error, UnmergeOrderError), undo
    assert f"Undo merge #{merge_outcome[0].value.pk} first" in str(undo.error)
    assert misplaced(start, [main, dup, other]) == {}
    assert fk_rows(other).count() == 6


def test_two_undos_of_one_merge_at_once_restore_it_once(make_customer, make_contact):
    record, (main, dup, new) = merged_case(make_customer, make_contact)
    start = owned_at_start([main, dup, new])
    with holding(contacts_unmerged) as undo_waits:
        first, first_outcome = in_thread(lambda: unmerge(record.pk))
        assert undo_waits.wait(10)
        second, second_outcome = in_thread(lambda: unmerge(record.pk))
        first.join(30)
        second.join(30)
    kinds = sorted([first_outcome[0].kind, second_outcome[0].kind])
    assert kinds == ["clear", "ok"], (first_outcome, second_outcome)
    assert "undone already" in str(next(o for o in (*first_outcome, *second_outcome) if o.kind == "clear").error)
    assert misplaced(start, [main, dup, new]) == {}
