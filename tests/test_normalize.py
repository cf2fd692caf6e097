"""Typed input read the same way on every database: keys, addresses, tags, numbers, pks."""

# ruff: noqa: RUF001  (look-alike letters, fullwidth and long s, are what these tests are about)

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.duplicates import find_duplicate_contacts
from django_customer_contacts.models import ContactEmail, Tag
from django_customer_contacts.normalize import (
    EMAIL_KEY_LENGTH,
    NAME_KEY_LENGTH,
    TAG_KEY_LENGTH,
    email_key,
    find_phone_numbers,
    name_key,
    parse_pk,
    phone_spellings,
    tag_key,
)
from django_customer_contacts.unused import unused_cutoff

# -- names -------------------------------------------------------------------------------


def test_the_keys_fit_their_columns():
    fields = {
        NAME_KEY_LENGTH: get_contact_model()._meta.get_field("name_key"),
        EMAIL_KEY_LENGTH: ContactEmail._meta.get_field("email_normalized"),
        TAG_KEY_LENGTH: Tag._meta.get_field("name_key"),
    }
    assert {length: field.max_length for length, field in fields.items()} == {length: length for length in fields}


def test_a_name_within_the_limits_always_gets_a_key_that_fits(customer, make_contact):
    # "ß" case-folds to "ss": 3 x 150 characters give a 900-character key.
    contact = make_contact(customer, first_name="ß" * 150, middle_name="ß" * 150, last_name="ß" * 150)
    contact.refresh_from_db()
    assert len(contact.name_key) <= NAME_KEY_LENGTH
    assert contact.name_key.startswith("ss" * 100)


def test_long_names_that_differ_only_at_the_end_are_no_duplicates(customer, make_contact):
    a = make_contact(customer, first_name="ß" * 150, middle_name="ß" * 150, last_name="ß" * 149 + "a")
    b = make_contact(customer, first_name="ß" * 150, middle_name="ß" * 150, last_name="ß" * 149 + "b")
    c = make_contact(customer, first_name="ẞ" * 150, middle_name="ß" * 150, last_name="ß" * 149 + "a")
    groups = find_duplicate_contacts(exact=True)
    assert [[contact.pk for contact in group.contacts] for group in groups] == [[a.pk, c.pk]]
    assert b.name_key != a.name_key == c.name_key


def test_name_key_is_unchanged_for_ordinary_names():
    assert name_key("  José  ÁLVAREZ") == "jose alvarez"


# -- email addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("  Jane@Example.ORG ", "jane@example.org"),
        ("ſam@example.org", "sam@example.org"),  # long s case-folds to s
        ("sam@ｅｘａｍｐｌｅ.org", "sam@example.org"),  # fullwidth letters
        ("STRASSE@example.org", "strasse@example.org"),
        ("K@example.org", "k@example.org"),  # the Kelvin sign
    ],
)
def test_email_key_is_nfkc_casefolded(address, key):
    assert email_key(address) == key


def test_email_key_fits_its_column():
    assert len(email_key("ﬃ" * 200 + "@example.org")) == EMAIL_KEY_LENGTH


@pytest.mark.parametrize("spelling", ["ſam@example.org", "sam@ｅｘａｍｐｌｅ.org", "SAM@EXAMPLE.ORG"])
def test_spellings_of_one_address_are_one_address_on_every_database(contact, spelling):
    contact.add_email("sam@example.org")
    with pytest.raises(ValidationError, match="already has the address"):
        contact.add_email(spelling)
    assert contact.emails.count() == 1


@pytest.mark.parametrize("spelling", ["ſam@example.org", "sam@ｅｘａｍｐｌｅ.org"])
def test_spellings_of_one_address_make_duplicates_on_every_database(customer, make_contact, spelling):
    a = make_contact(customer, first_name="Ann", last_name="Able")
    b = make_contact(customer, first_name="Bob", last_name="Baker")
    ContactEmail.objects.create(contact=a, email="sam@example.org")
    ContactEmail.objects.create(contact=b, email=spelling)  # no clean(): the customer rule would refuse it
    groups = find_duplicate_contacts(exact=True)
    assert [(sorted(c.pk for c in g.contacts), g.reasons) for g in groups] == [([a.pk, b.pk], {"email"})]


def test_add_email_strips_surrounding_spaces(contact):
    email = contact.add_email("  jane@example.org \t")
    email.refresh_from_db()
    assert email.email == "jane@example.org"


@pytest.mark.parametrize("address", ["ja\x00ne@example.org", "jane@example.org\x00", '"ja\x00ne"@example.org'])
def test_a_nul_byte_in_an_address_is_a_validation_error(contact, address):
    with pytest.raises(ValidationError) as error:
        contact.add_email(address)
    assert "email" in error.value.message_dict
    assert not contact.emails.exists()


# -- tags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("one", "other"), [("🔥 vip", "🚀 vip"), ("Café", "Cafe"), ("Straße", "Strase")])
def test_tags_that_differ_in_accents_or_symbols_are_different_on_every_database(db, one, other):
    first = Tag.objects.create(name=one)
    Tag(name=other).full_clean()
    second = Tag.objects.create(name=other)
    assert first.name_key != second.name_key
    assert Tag.objects.get(name_key=tag_key(one)) == first
    assert Tag.objects.get(name_key=tag_key(other)) == second


@pytest.mark.parametrize(("one", "other"), [("VIP", "vip"), ("Key  account", "KEY ACCOUNT"), ("Straße", "STRASSE")])
def test_tags_that_differ_in_case_or_spacing_are_one_tag_on_every_database(db, one, other):
    Tag.objects.create(name=one)
    with pytest.raises(ValidationError, match="already exists"):
        Tag(name=other).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name=other)


def test_a_long_tag_name_gets_a_key_that_fits(db):
    tag = Tag.objects.create(name="ß" * 100)
    tag.refresh_from_db()
    assert len(tag.name_key) <= TAG_KEY_LENGTH


def test_the_tag_key_column_compares_exactly_on_mariadb(db):
    if connection.vendor != "mysql":
        pytest.skip("MySQL/MariaDB only: other databases compare text exactly anyway")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = %s AND column_name = 'name_key'",
            [Tag._meta.db_table],
        )
        assert cursor.fetchone() == ("utf8mb4_bin",)


# -- phone numbers ---------------------------------------------------------------------------


def test_phone_spellings_include_the_digits_alone():
    assert phone_spellings("+447911123456") >= {
        "+447911123456",
        "+44 7911 123456",
        "07911 123456",
        "07911123456",
        "447911123456",
        "00447911123456",
        "7911123456",
        "tel:+44-7911-123456",
    }


@pytest.mark.parametrize(
    "text", ["ring 07911-123-456 today", "ring (07911) 123456 today", "ring +44 (0)7911 123456 today"]
)
def test_find_phone_numbers_reads_numbers_however_punctuated(text):
    assert [number for _start, _end, number in find_phone_numbers(text)] == ["+447911123456"]


def test_find_phone_numbers_reads_national_numbers_of_other_regions():
    assert "+33612345678" in {number for _s, _e, number in find_phone_numbers("appel 06 12 34 56 78", ["FR"])}


# -- keys typed on a command line ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "1.5", "", " ", None, "99999999999999999999999", 10**30, -(10**30)])
def test_parse_pk_refuses_what_cant_be_a_key(db, value):
    with pytest.raises(ValueError):
        parse_pk(get_contact_model(), value)


def test_parse_pk_reads_a_key(contact):
    assert parse_pk(get_contact_model(), str(contact.pk)) == contact.pk
    assert get_contact_model().objects.get(pk=parse_pk(get_contact_model(), contact.pk)) == contact


def test_unused_cutoff_refuses_days_before_the_year_one():
    with pytest.raises(ValueError, match="smaller number of days"):
        unused_cutoff(1_000_000)


def _command(*args):
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["merge_contacts", HUGE, "{a}"], f"no contact with the key {HUGE}"),
        (["merge_contacts", "{a}", HUGE], f"no contact with the key {HUGE}"),
        (["merge_contacts", "{a}", "{b}", "--keep", f"job_title={HUGE}"], f"no contact with the key {HUGE}"),
        (["merge_contacts", "{a}", "1.5"], "not a valid contact key"),
        (["find_duplicate_contacts", "--customer", HUGE], f"no customer with the key {HUGE}"),
        (["find_duplicate_contacts", "--customer", "abc"], "not a valid customer key"),
        (["export_contacts", "--customer", HUGE], f"no customer with the key {HUGE}"),
        (["prune_unused_contacts", "--days", "1000000"], "smaller number of days"),
        (["prune_unused_contacts", "--days", "1000000", "--dry-run"], "smaller number of days"),
        (["erase_contact", HUGE, "--no-input"], f"no contact with the key {HUGE}"),
    ],
)
def test_commands_refuse_huge_keys_and_days_with_a_message(customer, make_contact, args, message):
    a = make_contact(customer, first_name="Ann")
    b = make_contact(customer, first_name="Bob")
    if get_customer_model()._meta.pk.get_internal_type() == "UUIDField" and "customer" in " ".join(args):
        message = "not a valid customer key"
    with pytest.raises(CommandError, match=message):
        _command(*(arg.format(a=a.pk, b=b.pk) for arg in args))
    assert get_contact_model().objects.count() == 2
