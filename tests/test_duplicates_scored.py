"""Scored matching, the default: every signal weighed, pairs from indexed blocking keys.

Each kind of variation a person's second contact shows (typos, swapped letters, accents,
case, middle names, first and last name swapped, nicknames, birthdays with day and month
swapped, addresses and numbers written otherwise) is found; people who only look alike
(a family sharing a surname and a landline, namesakes born on other days) are not.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.duplicates import MAX_BLOCK
from django_customer_contacts.models import MATCH_KEY_FIELDS, ContactEmail, ContactPhone, DuplicateDismissal
from django_customer_contacts.services import (
    dismiss_duplicates,
    find_duplicate_contacts,
    find_matches,
    rebuild_match_keys,
    undo_dismissal,
)

BIRTHDAY = datetime.date(1980, 3, 12)


def names(found=None):
    found = find_duplicate_contacts() if found is None else found
    return [sorted(group.names.values()) for group in found]


@pytest.fixture
def person(customer, make_contact):
    def make(first, last, birthday=None, middle="", **fields):
        return make_contact(customer, first_name=first, last_name=last, middle_name=middle, birthday=birthday, **fields)

    return make


# -- what is found -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Jonathan", "Smith"), ("Jonahtan", "Smith")),  # two letters swapped
        (("Margaret", "Martinez"), ("Margaret", "Martniez")),
        (("Katherine", "Rodriguez"), ("Katherine", "Rodrigez")),  # a letter dropped
        (("Olivia", "Walker"), ("Olivia", "Wlaker")),
        (("Robert", "Johnson"), ("Bob", "Johnson")),  # nickname
        (("William", "Clark"), ("Bill", "Clark")),
        (("Elizabeth", "Jones"), ("Lizzie", "Jones")),
        (("Samuel", "Green"), ("Green", "Samuel")),  # first and last name swapped
        (("José", "Álvarez"), ("JOSE", "alvarez")),  # accents and case
        (("Søren", "Østergaard"), ("Soren", "Ostergaard")),
        (("Sean", "O'Brien"), ("Sean", "OBrien")),
    ],
)
def test_the_same_person_written_otherwise_is_found_by_name_and_birthday(person, first, second):
    person(*first, birthday=BIRTHDAY)
    person(*second, birthday=BIRTHDAY)
    [group] = find_duplicate_contacts()
    assert group.reasons == {"name", "birthday"}
    assert group.score >= 0.5


def test_a_missing_middle_name_hides_nobody(person):
    """The example CRM's demo missed this one: "samuel GREEN" and "Samuel David Green"."""
    person("samuel", "GREEN")
    person("Samuel", "Green", middle="David")
    assert names() == [["Samuel David Green", "samuel GREEN"]]


def test_a_middle_name_typed_into_the_first_name_hides_nobody(person):
    person("Samuel David", "Green", birthday=BIRTHDAY)
    person("Samuel", "Green", middle="David", birthday=BIRTHDAY)
    assert len(find_duplicate_contacts()) == 1


def test_a_birthday_with_day_and_month_swapped_is_the_same_birthday(person):
    person("Anna", "Kowalski", birthday=datetime.date(1980, 3, 12))
    person("Anna", "Kowalsky", birthday=datetime.date(1980, 12, 3))
    [group] = find_duplicate_contacts()
    assert "day and month swapped" in group.explanation


def test_names_alone_are_enough_when_nothing_contradicts_them(person):
    person("Jonathan", "Smith")
    person("Jonathan", "Smith", birthday=BIRTHDAY)
    assert len(find_duplicate_contacts()) == 1


def test_an_email_in_other_case_and_with_spaces_links_a_typo(person):
    jane, twin = person("Jane", "Smith"), person("Jnae", "Smyth")
    jane.add_email("jane.smith@example.com")
    ContactEmail.objects.create(contact=twin, email="  JANE.Smith@Example.COM ")
    [group] = find_duplicate_contacts()
    assert "email" in group.reasons
    assert "same email jane.smith@example.com" in group.explanation


def test_the_same_mailbox_with_a_plus_tag_counts(person):
    jane, twin = person("Jane", "Smith"), person("Jane", "Smith")
    jane.add_email("jane@example.com")
    twin.add_email("jane+crm@example.com")
    [group] = find_duplicate_contacts()
    assert "same mailbox jane@example.com" in group.explanation


def test_a_mobile_written_otherwise_links_a_nickname_and_a_typo(person):
    robert, bob = person("Robert", "Nowak"), person("Bob", "Nowakk")
    robert.add_phone("+44 7911 123456", kind="mobile")
    bob.add_phone("07911 123456", kind="mobile")
    [group] = find_duplicate_contacts()
    assert group.reasons == {"name", "phone"}
    assert "same mobile +447911123456" in group.explanation


def test_a_chain_of_variations_is_one_group(person):
    person("Robert", "Smith", birthday=BIRTHDAY)
    person("Bob", "Smith", birthday=BIRTHDAY)
    person("Bob", "Smtih")
    assert names() == [["Bob Smith", "Bob Smtih", "Robert Smith"]]


# -- what is not ----------------------------------------------------------------------------


def test_a_family_sharing_a_surname_and_a_landline_is_not_one_person(person):
    family = [
        person("John", "Miller", birthday=datetime.date(1961, 5, 2)),
        person("Mary", "Miller", birthday=datetime.date(1963, 8, 19)),
        person("Jon", "Miller", birthday=datetime.date(1990, 1, 7)),  # one letter from his father
        person("Emma", "Miller"),  # no birthday: still not anyone else
    ]
    for member in family:
        member.add_phone("020 7946 0018", kind="home")
    ContactEmail.objects.create(contact=family[1], email="millers@example.com")
    ContactEmail.objects.create(contact=family[3], email="millers@example.com")
    assert find_duplicate_contacts() == []


def test_a_family_member_with_a_duplicate_stays_apart_from_the_family(person):
    family = [
        person("John", "Miller", birthday=datetime.date(1961, 5, 2)),
        person("Jon", "Miller", birthday=datetime.date(1990, 1, 7)),
    ]
    twin = person("JOHN", "miller")  # John's second contact, without a birthday: like both
    for member in [*family, twin]:
        member.add_phone("020 7946 0018", kind="home")
    [group] = find_duplicate_contacts()
    # Whichever it joins, the two family members never end up in one group.
    assert len(group) == 2
    assert not {family[0].pk, family[1].pk} <= set(group.contact_ids)


def test_namesakes_born_on_other_days_are_different_people(person):
    person("Maria", "Garcia", birthday=datetime.date(1970, 4, 1))
    person("Maria", "Garcia", birthday=datetime.date(1999, 9, 30))
    assert find_duplicate_contacts() == []


def test_twins_are_different_people(person):
    person("Anna", "Schmidt", birthday=BIRTHDAY)
    person("Paula", "Schmidt", birthday=BIRTHDAY)
    assert find_duplicate_contacts() == []


def test_different_given_names_are_different_people(person):
    person("Anna", "Schmidt")
    person("Paula", "Schmidt")
    assert find_duplicate_contacts() == []


def test_contacts_of_different_customers_are_never_grouped(make_customer, make_contact):
    for customer in (make_customer(), make_customer()):
        make_contact(customer, first_name="Jane", last_name="Smith", birthday=BIRTHDAY).add_email("jane@example.com")
    assert find_duplicate_contacts() == []


def test_one_time_contacts_take_no_part(person, customer):
    from django_customer_contacts.models import Tag

    case = Tag.objects.create(name="Case 4711")  # any host object can scope a one-time contact
    person("Jane", "Smith", birthday=BIRTHDAY)
    person("Jane", "Smith", birthday=BIRTHDAY, scope=case)
    assert find_duplicate_contacts() == []


def test_a_key_shared_by_very_many_contacts_pairs_none_of_them(customer):
    """A placeholder birthday (1 January 1900) on every imported contact says nothing."""
    model = get_contact_model()
    placeholder = datetime.date(1900, 1, 1)
    given = ["Anna", "Boris", "Chloe", "Dmitri", "Elena", "Fatima", "Goran", "Hiro", "Ingrid", "Jamal", "Kwame"]
    surnames = ["Ng", "Okafor", "Petrov", "Quispe", "Rahman", "Sato", "Tanaka", "Usman", "Vargas", "Weber"]
    people = [
        model(customer=customer, first_name=first, last_name=last, birthday=placeholder)
        for first in given
        for last in surnames
    ]
    assert len(people) > MAX_BLOCK
    for contact in people:
        contact.set_match_keys()
    model.objects.bulk_create(people)
    assert find_duplicate_contacts() == []


# -- tuning -----------------------------------------------------------------------------------


def test_min_score_raises_or_lowers_the_bar(person):
    person("Jonathan", "Smith")
    person("Jonahtan", "Smith")
    [group] = find_duplicate_contacts()
    assert 0.5 <= group.score < 0.99
    assert find_duplicate_contacts(min_score=0.99) == []
    assert len(find_duplicate_contacts(min_score=group.score)) == 1


# -- the groups -------------------------------------------------------------------------------


def test_a_group_says_what_links_whom_and_how_surely(person):
    robert = person("Robert", "Smith", birthday=BIRTHDAY)
    bob = person("Bob", "Smith", birthday=BIRTHDAY)
    [group] = find_duplicate_contacts()
    [link] = group.links
    assert (link.first_id, link.second_id) == (robert.pk, bob.pk)
    assert link.score > 0.9
    assert link.reasons == {"name", "birthday"}
    assert "first names robert and bob: nickname" in link.explanation
    assert "same birthday" in link.explanation
    assert group.explanation.startswith("Robert Smith and Bob Smith (")
    assert group.customer_id == robert.customer_id


def test_groups_need_no_model_instances_until_asked(make_customer, make_contact):
    for _ in range(3):
        customer = make_customer()
        make_contact(customer, first_name="Jane", last_name="Smith", birthday=BIRTHDAY)
        make_contact(customer, first_name="JANE", last_name="Smith", birthday=BIRTHDAY)
    with CaptureQueriesContext(connection) as queries:
        found = find_duplicate_contacts()
        listed = [(group.contact_ids, group.names, group.reasons, group.score) for group in found]
    assert len(listed) == 3
    assert not any("SELECT" in q["sql"] and "first_name" in q["sql"] and "notes" in q["sql"] for q in queries)
    with CaptureQueriesContext(connection) as loading:
        assert [len(group.contacts) for group in found] == [2, 2, 2]
    assert len(loading) == 1


def test_group_names_are_the_display_names(customer, make_contact):
    first = make_contact(customer, title="dr", first_name=" Jane  Anne", last_name="Smith", birthday=BIRTHDAY)
    second = make_contact(customer, first_name="Jane", middle_name="Anne", last_name="Smith ", birthday=BIRTHDAY)
    third = make_contact(customer, title="prof", first_name="", last_name="", birthday=BIRTHDAY)
    [group] = find_duplicate_contacts()
    assert group.names == {c.pk: c.display_name for c in (first, second, third)}
    assert group.names[first.pk] == "Dr Jane Anne Smith"
    assert group.names[third.pk] == "Prof"


@pytest.mark.parametrize("customers", [1, 12])
def test_finding_takes_the_same_queries_whatever_the_number_of_groups(make_customer, make_contact, customers):
    for _ in range(customers):
        customer = make_customer()
        for first in ("Robert", "Bob", "Rob"):
            contact = make_contact(customer, first_name=first, last_name="Smith", birthday=BIRTHDAY)
            contact.add_email(f"{first}@example.com")
            contact.add_phone("07911 123456")
    with CaptureQueriesContext(connection) as queries:
        found = find_duplicate_contacts(get_contact_model().objects.regular())  # nothing stored
    assert len(found) == customers
    # The keys; names and birthdays, emails, phones of the candidates; the dismissals.
    assert len(queries) == 5


def test_the_queryset_limits_the_search_and_gives_the_instances(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    for customer in (first, second):
        make_contact(customer, first_name="Jane", last_name="Smith")
        make_contact(customer, first_name="Jane", last_name="Smith")
    contacts = get_contact_model().objects.filter(customer=second).select_related("customer")
    [group] = find_duplicate_contacts(contacts)
    assert group.customer_id == second.pk
    with CaptureQueriesContext(connection) as queries:
        assert {str(c.customer) for c in group.contacts} == {str(second)}
    assert len(queries) == 1
    assert find_duplicate_contacts(get_contact_model().objects.none()) == []


# -- "Not duplicates" ------------------------------------------------------------------------


def test_a_dismissed_pair_never_shows_again_until_undone(person, admin_user):
    jane, twin = person("Jane", "Smith", birthday=BIRTHDAY), person("Jane", "Smith", birthday=BIRTHDAY)
    [dismissal] = dismiss_duplicates([twin, jane], user=admin_user)
    assert find_duplicate_contacts() == []
    assert find_matches(get_contact_model().objects.get(pk=jane.pk)) == []
    # Dismissing again changes nothing.
    assert dismiss_duplicates([jane.pk, twin.pk]) == []
    undo_dismissal(dismissal, user=admin_user)
    assert len(find_duplicate_contacts()) == 1
    history = DuplicateDismissal.history.order_by("history_id")
    assert [(h.history_type, h.history_user, h.first_contact_id) for h in history] == [
        ("+", admin_user, str(min(jane.pk, twin.pk))),
        ("-", admin_user, str(min(jane.pk, twin.pk))),
    ]


def test_a_dismissed_pair_keeps_a_group_of_three_apart(person):
    robert = person("Robert", "Smith", birthday=BIRTHDAY)
    bob = person("Bob", "Smith", birthday=BIRTHDAY)
    rob = person("Rob", "Smith", birthday=BIRTHDAY)
    dismiss_duplicates([robert, bob])
    [group] = find_duplicate_contacts()
    assert len(group) == 2
    assert rob.pk in group.contact_ids


# -- the keys ----------------------------------------------------------------------------------


def keys(contact):
    contact.refresh_from_db()
    return [getattr(contact, name) for name in MATCH_KEY_FIELDS]


def test_the_keys_follow_the_names_and_the_birthday(person):
    contact = person("Robert", "Smith", birthday=datetime.date(1980, 12, 3))
    assert keys(contact) == ["r163 sm", "s53 ro", "r163 th", "s53 rt", "1980-03-12"]
    contact.first_name = "Anna"
    contact.save(update_fields=["first_name"])
    assert keys(contact)[:2] == ["a5 sm", "s53 an"]
    contact.birthday = None
    contact.save(update_fields=["birthday"])
    assert keys(contact)[4] == ""


def test_rebuild_match_keys_fills_rows_written_without_save(customer):
    model = get_contact_model()
    model.objects.bulk_create([model(customer=customer, first_name="Jane", last_name="Smith") for _ in range(3)])
    assert find_duplicate_contacts() == []
    out = io.StringIO()
    call_command("rebuild_match_keys", stdout=out)
    assert out.getvalue() == "3 contacts' keys updated.\n"
    assert len(find_duplicate_contacts()) == 1
    assert rebuild_match_keys() == 0


def test_find_matches_names_the_saved_contacts_a_new_one_resembles(person, customer):
    robert = person("Robert", "Smith", birthday=BIRTHDAY)
    person("Anna", "Smith", birthday=BIRTHDAY)
    new = get_contact_model()(customer=customer, first_name="Bob", last_name="Smith", birthday=BIRTHDAY)
    [(match, comparison)] = find_matches(new)
    assert match == robert
    assert comparison.score > 0.9


def test_find_matches_reads_the_points_typed_in_a_form(person, customer):
    robert = person("Robert", "Smith")
    robert.add_phone("07911 123456")
    ContactPhone.objects.filter(contact=robert).update(kind="mobile")
    new = get_contact_model()(customer=customer, first_name="Rob", last_name="Smyth")
    assert find_matches(new) == [] or find_matches(new)[0][1].score < 0.9
    new._typed_points = ([], [("+447911123456", "mobile")])
    [(match, comparison)] = find_matches(new)
    assert match == robert
    assert "same mobile +447911123456" in comparison.explain()


def test_a_mobile_on_one_and_a_work_line_on_the_other_is_no_evidence_against(person):
    """The example CRM's planted "name duplicate": the same name, another kind of number."""
    jane, twin = person("Jane", "Smith"), person("jane", "SMITH")
    jane.add_phone("07911 123456", kind="mobile")
    twin.add_phone("020 7946 0018", kind="work")
    [group] = find_duplicate_contacts()
    assert "phone" not in group.explanation


def test_different_mobiles_speak_against(person):
    jane, other = person("Jane", "Smith"), person("Jane", "Smith")
    jane.add_phone("07911 123456", kind="mobile")
    other.add_phone("07912 345678", kind="mobile")
    assert find_duplicate_contacts() == []
