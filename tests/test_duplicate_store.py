"""The stored answers of duplicate detection: read back while nothing changed, found again
for a customer whose contacts changed, whatever wrote the change.

Each test compares the stored search (``find_duplicate_contacts()`` and ``customer=``)
with a search that stores nothing (an explicit queryset of the same contacts): a
stored answer is only ever a faster way to the same groups.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_customer_contacts import duplicate_store, get_contact_model
from django_customer_contacts.duplicates import MAX_BLOCK
from django_customer_contacts.models import ContactEmail, ContactPhone, DuplicateChange, DuplicateScan
from django_customer_contacts.services import (
    anonymize_contact,
    dismiss_duplicates,
    find_duplicate_contacts,
    merge_contacts,
    rebuild_match_keys,
    undo_dismissal,
    unmerge,
)

BIRTHDAY = datetime.date(1980, 3, 12)


def live(customer=None):
    """The groups found afresh, nothing stored or read back."""
    contacts = get_contact_model().objects.regular()
    if customer is not None:
        contacts = contacts.filter(customer=customer)
    return find_duplicate_contacts(contacts)


def shape(groups):
    return [(group.contact_ids, group.reasons, [round(link.score, 9) for link in group.links]) for group in groups]


def assert_current(customer=None):
    """The stored search gives what a fresh one gives, and consumed every change note."""
    stored = find_duplicate_contacts(customer=customer)
    notes = DuplicateChange.objects.all() if customer is None else DuplicateChange.objects.filter(customer=customer)
    assert not notes.exists()
    assert shape(stored) == shape(live(customer))
    assert [group.explanation for group in stored] == [group.explanation for group in live(customer)]
    return stored


@pytest.fixture
def family(customer, make_contact):
    """Robert and Bob Smith (one person), and Anna Smith, who shares their landline."""
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    anna = make_contact(customer, first_name="Anna", last_name="Smith", birthday=datetime.date(1983, 7, 1))
    for contact in (robert, bob, anna):
        contact.add_phone("020 7946 0000", kind="work")
    return robert, bob, anna


def test_a_second_search_reads_the_stored_groups_back(family, customer):
    robert, bob, _anna = family
    first = assert_current()
    assert [group.contact_ids for group in first] == [(robert.pk, bob.pk)]
    assert DuplicateScan.objects.filter(customer=customer).exists()
    assert not DuplicateChange.objects.exists()  # every change note read was consumed
    with CaptureQueriesContext(connection) as queries:
        again = find_duplicate_contacts()
        assert again[0].names == {robert.pk: "Robert Smith", bob.pk: "Bob Smith"}
    assert shape(again) == shape(first)
    # No grouping, no comparing, no names read: the lock, the change notes, the stored
    # groups, the customers never searched (and the savepoints around it).
    assert not any("GROUP BY" in query["sql"].upper() for query in queries.captured_queries)
    assert len(queries) == 6


@pytest.mark.parametrize("customers", [1, 12])
def test_the_stored_search_takes_the_same_queries_whatever_the_number_of_groups(make_customer, make_contact, customers):
    for _ in range(customers):
        customer = make_customer()
        for first in ("Robert", "Bob", "Rob"):
            contact = make_contact(customer, first_name=first, last_name="Smith", birthday=BIRTHDAY)
            contact.add_email(f"{first}@example.com")
    with CaptureQueriesContext(connection) as finding:
        found = find_duplicate_contacts()
    with CaptureQueriesContext(connection) as reading:
        again = find_duplicate_contacts()
        for group in again:
            assert group.explanation  # the evidence, read for all groups at once
    assert len(found) == len(again) == customers
    # Found: the lock, the notes, the stored rows, the customers never searched, the
    # keys, the candidates' names, emails and phones, the dismissals, the rows stored
    # (and the savepoints around it). Read back: no keys, no candidates, the names
    # stored; for the explanations, the group members' names, emails and phones.
    assert len(finding) == 14
    assert len(reading) == 9


def test_a_number_too_many_contacts_share_is_no_evidence_in_a_stored_group_either(customer, make_contact):
    robert = make_contact(customer, first_name="Robert", last_name="Smith", birthday=BIRTHDAY)
    bob = make_contact(customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    staff = [  # no two alike: each born in another year
        make_contact(customer, first_name="Agent", last_name="Desk", birthday=datetime.date(1900 + n, 5, 5))
        for n in range(MAX_BLOCK)
    ]
    for contact in (robert, bob, *staff):
        contact.add_phone("020 7946 0000", kind="work")  # the switchboard
    [group] = assert_current()  # the explanations too
    assert group.contact_ids == (robert.pk, bob.pk)
    assert group.reasons == {"name", "birthday"}
    [again] = find_duplicate_contacts()  # read back
    assert again.reasons == {"name", "birthday"}
    assert "phone" not in again.explanation


def test_one_customers_search_stores_only_its_own(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    for customer in (first, second):
        make_contact(customer, first_name="Jane", last_name="Smith", birthday=BIRTHDAY)
        make_contact(customer, first_name="Jane", last_name="Smith", birthday=BIRTHDAY)
    [group] = assert_current(first)
    assert group.customer_id == first.pk
    assert list(DuplicateScan.objects.values_list("customer_id", flat=True)) == [first.pk]
    with CaptureQueriesContext(connection) as queries:
        assert shape(find_duplicate_contacts(customer=str(first.pk))) == shape([group])  # a pk from a URL
    assert not any("GROUP BY" in query["sql"].upper() for query in queries.captured_queries)
    assert [group.customer_id for group in assert_current()] == [first.pk, second.pk]


def rename(robert, bob, anna):
    bob.first_name, bob.last_name, bob.birthday = "Alice", "Jones", datetime.date(1990, 1, 2)
    bob.save()


def add_address(robert, bob, anna):
    # (No address links two contacts of one customer: EMAIL_UNIQUE keeps them apart.)
    anna.add_email("anna@example.com")


def drop_landline(robert, bob, anna):
    ContactPhone.objects.get(contact=bob).delete()


def delete_bob(robert, bob, anna):
    bob.delete()


def move_bob(robert, bob, anna):
    other = type(robert.customer).objects.create(name="Other Ltd")
    bob.customer = other
    bob.save()


def dismiss(robert, bob, anna):
    dismiss_duplicates([robert, bob])


def dismiss_and_undo(robert, bob, anna):
    [dismissal] = dismiss_duplicates([robert, bob])
    assert find_duplicate_contacts() == []
    undo_dismissal(dismissal)


def merge(robert, bob, anna):
    merge_contacts(robert, [bob])


def merge_and_undo(robert, bob, anna):
    record = merge_contacts(robert, [bob])
    assert find_duplicate_contacts() == []
    unmerge(record)


def erase(robert, bob, anna):
    anonymize_contact(bob)


def written_around_save(robert, bob, anna):
    model = get_contact_model()
    model.objects.filter(pk=anna.pk).update(first_name="Roberta", birthday=BIRTHDAY)
    ContactEmail.objects.bulk_create(
        [ContactEmail(contact=anna, email="rs@example.com", email_normalized="rs@example.com")]
    )
    rebuild_match_keys()


@pytest.mark.parametrize(
    ("change", "groups_change"),
    [
        (rename, True),
        (add_address, False),
        (drop_landline, True),
        (delete_bob, True),
        (move_bob, True),
        (dismiss, True),
        (dismiss_and_undo, False),
        (merge, True),
        (merge_and_undo, False),
        (erase, True),
        (written_around_save, True),
    ],
)
def test_every_change_to_a_customers_contacts_is_seen_by_the_next_search(family, customer, change, groups_change):
    before = find_duplicate_contacts()
    change(*[type(contact).objects.get(pk=contact.pk) for contact in family])
    assert DuplicateChange.objects.filter(customer=customer).exists()
    after = assert_current()
    assert (shape(after) != shape(before)) is groups_change
    assert_current(customer)


def test_a_customer_deleted_in_sql_leaves_no_stored_groups_behind(family, customer, make_customer, make_contact):
    find_duplicate_contacts()
    model = get_contact_model()
    for table in (ContactPhone, model, type(customer)):  # as an import script wipes tables
        table._base_manager.all()._raw_delete(connection.alias)
    assert DuplicateScan.objects.filter(customer_id=customer.pk).exists()  # no constraint: the row stays
    other = make_customer()
    make_contact(other, first_name="Jane", last_name="Doe", birthday=BIRTHDAY)
    make_contact(other, first_name="Jane", last_name="Doe", birthday=BIRTHDAY)
    assert [group.customer_id for group in assert_current()] == [other.pk]


def test_rebuilding_every_key_forgets_contacts_deleted_in_sql(family):
    assert len(find_duplicate_contacts()) == 1
    ContactPhone.objects.all()._raw_delete(connection.alias)
    get_contact_model().objects.all()._raw_delete(connection.alias)  # every contact of the customer
    rebuild_match_keys()
    assert find_duplicate_contacts() == []


def test_another_score_or_matching_finds_the_groups_again(family, customer, monkeypatch):
    robert, bob, _anna = family
    find_duplicate_contacts()
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MIN_SCORE": 0.999}):
        assert find_duplicate_contacts() == []  # stored with 0.5: not taken for 0.999
        assert DuplicateScan.objects.get(customer=customer).min_score == 0.999
    monkeypatch.setattr(duplicate_store, "VERSION", duplicate_store.VERSION + 1)
    DuplicateScan.objects.update(groups='{"g":[]}')  # what an older matching would have said
    assert [group.contact_ids for group in find_duplicate_contacts()] == [(robert.pk, bob.pk)]


def test_a_search_with_other_contacts_or_another_score_stores_nothing(family):
    find_duplicate_contacts(get_contact_model().objects.active())
    find_duplicate_contacts(min_score=0.9)
    find_duplicate_contacts(exact=True)
    assert not DuplicateScan.objects.exists()
