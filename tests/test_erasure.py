"""GDPR erasure: after ``anonymize_contact`` no table of the database holds the person."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import ErasureError
from django_customer_contacts.models import ContactEmail, ContactPhone, MergeRecord
from django_customer_contacts.services import anonymize_contact, enable_login, merge_contacts
from tests.erasure_fixtures import (
    EMAIL,
    FIRST,
    LAST,
    MERGED_EMAIL,
    MIDDLE,
    MOBILE,
    PERSONAL,
    plant_person,
    scan_database,
)


@pytest.fixture
def person(customer, make_contact, django_user_model):
    return plant_person(customer, make_contact, django_user_model)


def test_the_test_database_holds_the_person_before_erasure(person):
    # Proves the scan can see what the erasure must remove.
    assert {needle.casefold() for _table, needle in scan_database(PERSONAL)} == {n.casefold() for n in PERSONAL}


def test_after_erasure_no_table_holds_the_persons_names_addresses_or_numbers(person, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    anonymize_contact(person, user=clerk)
    assert scan_database(PERSONAL) == []


def test_the_row_stays_so_relations_hold(person):
    pk = person.pk
    history_rows = get_contact_model().history.filter(id=pk).count()
    anonymize_contact(person)
    person.refresh_from_db()
    assert person.pk == pk
    assert str(person) == f"Anonymised #{pk}"
    assert list(person.tags.values_list("name", flat=True)) == ["VIP"]
    assert person.merge_records.count() == 1
    # History keeps every change (scrubbed), plus the erasure itself.
    history = get_contact_model().history.filter(id=pk)
    assert history.count() == history_rows + 1
    assert history.latest().history_change_reason == "GDPR erasure"


def test_host_relations_hold(person):
    from django.apps import apps

    if apps.is_installed("tests.hostapp"):
        from tests.hostapp.models import Invoice

        invoice = Invoice.objects.create(number="INV-1", billing_contact=person)
        anonymize_contact(person)
        invoice.refresh_from_db()
        assert invoice.billing_contact_id == person.pk
    else:
        from tests.swapcrm.models import Ticket

        ticket = Ticket.objects.create(subject="Help", contact=person)
        anonymize_contact(person)
        ticket.refresh_from_db()
        assert ticket.contact_id == person.pk


def test_an_erased_contact_is_sent_nothing(person, customer):
    anonymize_contact(person)
    person.refresh_from_db()
    assert not person.emails.exists() and not person.phones.exists()
    assert not person.is_active
    assert not person.marketing_consent and person.marketing_consent_at is None
    assert not (person.email_allowed or person.sms_allowed or person.phone_allowed)
    assert not person.notification_categories.exists()
    Contact = get_contact_model()
    for channel in ("email", "sms", "phone"):
        assert person not in Contact.objects.recipients(customer, channel=channel)


def test_erasing_the_primary_keeps_it_primary_and_active(customer, make_contact):
    primary = make_contact(customer, first_name=FIRST, last_name=LAST)
    primary.add_email(EMAIL)
    anonymize_contact(primary)
    primary.refresh_from_db()
    assert primary.is_primary and primary.is_active
    assert scan_database([FIRST, LAST, EMAIL]) == []


def test_erasure_records_who_did_it(person, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    anonymize_contact(person, user=clerk)
    assert person.history.latest().history_user == clerk


def test_a_contact_with_a_user_account_is_refused_and_nothing_changes(person):
    user = enable_login(person)
    with pytest.raises(ErasureError, match="unlink_user=True"):
        anonymize_contact(person)
    person.refresh_from_db()
    assert person.first_name == FIRST
    assert person.user == user
    assert person.emails.filter(email=EMAIL).exists()


def test_unlink_user_erases_the_contact_and_leaves_the_account_to_the_host(person, django_user_model):
    user = enable_login(person)
    anonymize_contact(person, unlink_user=True)
    person.refresh_from_db()
    assert person.user is None
    assert django_user_model.objects.filter(pk=user.pk).exists()
    # Only the account, which the host erases itself, still holds the address.
    assert {table for table, _needle in scan_database(PERSONAL)} == {django_user_model._meta.db_table}


def test_erased_email_and_phone_history_is_scrubbed(person):
    email_ids = set(ContactEmail.history.filter(contact_id=person.pk).values_list("id", flat=True))
    anonymize_contact(person)
    assert email_ids
    assert set(ContactEmail.history.filter(id__in=email_ids).values_list("email", flat=True)) == {""}
    assert not ContactPhone.history.filter(contact_id=person.pk).exclude(number="").exists()


def test_merge_snapshots_are_blanked_and_reasons_cut(person):
    anonymize_contact(person)
    record = MergeRecord.objects.get(contact=person)
    snapshot = next(iter(record.snapshots.values()))
    assert snapshot["fields"] == {"first_name": "", "last_name": "", "birthday": ""}
    assert snapshot["emails"][0]["is_primary"] is True
    assert record.reason == "[erased] is the same person as [erased]"


def test_extra_fields_of_a_host_contact_model_are_erased_too(customer, make_contact):
    Contact = get_contact_model()
    if not hasattr(Contact, "loyalty_number"):
        pytest.skip("only the swapped scenario's contact model has an extra field")
    member = make_contact(customer, first_name=FIRST, last_name=LAST, loyalty_number="LOYAL-98765")
    anonymize_contact(member)
    assert scan_database(["LOYAL-98765", FIRST, LAST]) == []


def test_erasure_after_a_real_merge(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    main.add_email(EMAIL)
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    twin.add_email(MERGED_EMAIL)
    twin.add_phone(MOBILE)
    merge_contacts(main, [twin], reason="duplicate")
    anonymize_contact(main)
    assert scan_database([FIRST, LAST, "Zebs", EMAIL, MERGED_EMAIL, MOBILE]) == []


def test_unsaved_contact_is_refused(customer):
    with pytest.raises(ErasureError):
        anonymize_contact(get_contact_model()(customer=customer, last_name=LAST))


# -- every spelling, every log (issue 9, item 10) ---------------------------------------

INLINE_FIRST, INLINE_LAST = "Zanzibarine", "Quuxworthy"


def _customer_page(customer):
    opts = type(customer)._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[customer.pk])


def _inline_post(customer, contacts, new=None):
    """The customer page's form: the contacts as they are, plus ``new`` as an added one."""
    rows = [
        {"id": c.pk, "title": c.title, "first_name": c.first_name, "last_name": c.last_name, "job_title": c.job_title}
        for c in contacts
    ]
    if new:
        rows.append({"id": "", "title": "", "job_title": "", **new})
    data = {
        "name": customer.name,
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": str(len(contacts)),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"contacts-{i}-{key}": value for key, value in row.items()})
        data[f"contacts-{i}-customer"] = customer.pk
        data[f"contacts-{i}-is_active"] = "on"
    return data


def test_erasure_cuts_the_person_from_the_customers_admin_log(staff_client, customer, make_contact):
    ann = make_contact(customer, first_name="Ann", last_name="Other")
    # Added on the customer page, then renamed there: two entries of the customer's log.
    response = staff_client.post(
        _customer_page(customer),
        _inline_post(customer, [ann], new={"first_name": INLINE_FIRST, "last_name": "Quux"}),
    )
    assert response.status_code == 302
    person = get_contact_model().objects.get(first_name=INLINE_FIRST)
    person.last_name = INLINE_LAST
    ann.job_title = "Buyer"
    response = staff_client.post(_customer_page(customer), _inline_post(customer, [ann, person]))
    assert response.status_code == 302
    customer_log = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(customer))
    assert INLINE_LAST in " ".join(entry.get_change_message() for entry in customer_log)

    anonymize_contact(person)

    assert scan_database([INLINE_FIRST, INLINE_LAST, "Quux"]) == []
    # The customer's other contacts keep their names in its log.
    assert [entry.get_change_message() for entry in customer_log.order_by("pk")] == [
        "Added contact “[erased]”.",
        "Changed Job title for contact “Ann Other”. Changed Last name for contact “[erased]”.",
    ]


@pytest.mark.parametrize(
    "spelling", ["07911123456", "+447911123456", "447911123456", "00447911123456", "07911-123-456", "(07911) 123456"]
)
def test_numbers_typed_without_spaces_are_cut_from_merge_and_change_reasons(customer, make_contact, spelling):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    twin.add_phone("07911 123456")
    merge_contacts(main, [twin], reason=f"same mobile: {spelling}, checked")
    main.job_title = "Zeppelin wrangler"
    main._change_reason = f"called back on {spelling}"
    main.save()

    anonymize_contact(main)

    assert scan_database([spelling, "7911123456", "911123456"]) == []
    record = MergeRecord.objects.get(contact=main)
    assert record.reason == "same mobile: [erased], checked"
    reasons = set(get_contact_model().history.filter(id=main.pk).values_list("history_change_reason", flat=True))
    assert "called back on [erased]" in reasons


def test_another_number_in_a_reason_is_kept(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    main.add_phone("07911 123456")
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    merge_contacts(main, [twin], reason="not 07700900123 but 07911123456")
    anonymize_contact(main)
    assert MergeRecord.objects.get(contact=main).reason == "not 07700900123 but [erased]"


# -- deleted contacts (issue 9, item 11) ------------------------------------------------


@pytest.fixture
def deleted_person(customer, make_contact, staff_client):
    """A contact with an email, a phone and edits, deleted through the admin."""
    make_contact(customer, first_name="Ann", last_name="Other")
    person = make_contact(customer, first_name=FIRST, middle_name=MIDDLE, last_name=LAST, job_title="Zeppelin wrangler")
    person.add_email(EMAIL)
    person.add_phone("07911 123456")
    person.notes = "Prefers calls after 4"
    person.save()
    opts = get_contact_model()._meta
    response = staff_client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[person.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not get_contact_model().objects.filter(pk=person.pk).exists()
    return person


DELETED_PERSONAL = [FIRST, MIDDLE, LAST, "Zeppelin wrangler", "Prefers calls after 4", EMAIL, MOBILE, "7911123456"]


def test_the_history_of_a_deleted_contact_holds_the_person(deleted_person):
    tables = {table for table, _needle in scan_database(DELETED_PERSONAL)}
    history = {
        get_contact_model().history.model._meta.db_table,
        ContactEmail.history.model._meta.db_table,
        ContactPhone.history.model._meta.db_table,
    }
    assert history <= tables


def test_a_deleted_contact_is_erased_from_its_pk(deleted_person):
    pk = deleted_person.pk
    assert anonymize_contact(pk) is None
    assert scan_database(DELETED_PERSONAL) == []
    # History still shows that the contact existed, changed and was deleted.
    history = get_contact_model().history.filter(id=pk).order_by("history_date", "history_id")
    assert [row.history_type for row in history][-1] == "-"
    assert {row.last_name for row in history} == {f"Anonymised #{pk}"}
    assert not get_contact_model().objects.filter(pk=pk).exists()


def test_a_deleted_contact_is_erased_from_its_instance_too(deleted_person):
    assert anonymize_contact(deleted_person) is None
    assert scan_database(DELETED_PERSONAL) == []


def test_a_pk_given_as_text_erases_a_living_contact(person):
    erased = anonymize_contact(str(person.pk))
    assert erased.pk == person.pk and str(erased) == f"Anonymised #{person.pk}"
    assert scan_database(PERSONAL) == []


@pytest.mark.parametrize("pk", ["abc", "1.5", "", "99999999999999999999999", 10**30])
def test_a_key_that_cant_be_a_contacts_is_refused(db, pk):
    with pytest.raises(ErasureError):
        anonymize_contact(pk)


def test_a_pk_no_contact_ever_had_is_refused(db):
    with pytest.raises(ErasureError, match="no history of one"):
        anonymize_contact(987654)


def test_a_deleted_contact_merged_into_a_living_one_is_refused_and_nothing_changes(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    twin = make_contact(customer, first_name="Zebs", last_name=LAST)
    twin.add_email(MERGED_EMAIL)
    merge_contacts(main, [twin])
    before = scan_database([FIRST, LAST, "Zebs", MERGED_EMAIL])
    with pytest.raises(ErasureError, match=f"merged into contact #{main.pk}"):
        anonymize_contact(twin.pk)
    assert scan_database([FIRST, LAST, "Zebs", MERGED_EMAIL]) == before
    # Erasing the survivor reaches the merged contact too.
    anonymize_contact(main.pk)
    assert scan_database([FIRST, LAST, "Zebs", MERGED_EMAIL]) == []


def test_contacts_merged_into_one_deleted_since_are_erased_with_it(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name=FIRST, last_name=LAST)
    main.add_email(EMAIL)
    twin = make_contact(customer, first_name="Zebs", last_name="Twinning")
    twin.add_email(MERGED_EMAIL)
    twin.add_phone(MOBILE)
    merge_contacts(main, [twin], reason="Zebs Twinning is Zebedee")
    main_pk = main.pk
    main.delete()
    record = MergeRecord.objects.get()
    assert record.contact_id is None  # the record's link to the survivor goes with it

    anonymize_contact(main_pk)

    assert scan_database([FIRST, LAST, EMAIL, MERGED_EMAIL, MOBILE, "Zebs", "Twinning"]) == []
    record.refresh_from_db()
    assert record.reason == "[erased] is [erased]"
    assert record.merged_ids == [twin.pk]


def test_a_contact_merged_into_one_deleted_since_is_erased_from_its_own_pk(customer, make_contact):
    make_contact(customer, first_name="Ann", last_name="Other")
    main = make_contact(customer, first_name="Keeper", last_name="Mainly")
    twin = make_contact(customer, first_name=FIRST, last_name=LAST)
    twin.add_email(MERGED_EMAIL)
    merge_contacts(main, [twin], reason=f"{FIRST} is a duplicate")
    main.delete()

    anonymize_contact(twin.pk)

    assert scan_database([FIRST, LAST, MERGED_EMAIL]) == []
    record = MergeRecord.objects.get()
    assert record.reason == "[erased] is a duplicate"
    # Only the erased contact's part: the history of the contact it was merged into stays.
    assert scan_database(["Keeper", "Mainly"]) != []


# -- the erase_contact command ----------------------------------------------------------


def test_erase_contact_command_erases_living_and_deleted_contacts(person, make_contact):
    from django.core.management import call_command

    gone = make_contact(person.customer, first_name="Quentin", last_name="Gonefrom")
    gone.add_email("quentin@gone.example.org")
    gone_pk = gone.pk
    gone.delete()
    out = io.StringIO()
    call_command("erase_contact", str(person.pk), str(gone_pk), "--no-input", stdout=out)
    assert scan_database([*PERSONAL, "Quentin", "Gonefrom", "quentin@gone.example.org"]) == []
    assert f"Erased contact #{person.pk}" in out.getvalue()
    assert f"Erased the traces of deleted contact #{gone_pk}" in out.getvalue()


def test_erase_contact_command_refuses_bad_keys_and_erases_the_others(person):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3 contacts not erased"):
        call_command("erase_contact", "abc", str(person.pk), "99999999999999999999999", "--no-input", stdout=out)
    assert scan_database(PERSONAL) == []


def test_erase_contact_command_refuses_a_contact_with_an_account_unless_unlinked(person):
    from django.core.management import CommandError, call_command

    enable_login(person)
    with pytest.raises(CommandError, match="unlink"):
        call_command("erase_contact", str(person.pk), "--no-input", stdout=io.StringIO())
    person.refresh_from_db()
    assert person.first_name == FIRST
    call_command("erase_contact", str(person.pk), "--no-input", "--unlink-user", stdout=io.StringIO())
    person.refresh_from_db()
    assert person.user is None and person.first_name == ""


def test_erase_contact_command_asks_first(person, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("erase_contact", str(person.pk), stdout=io.StringIO())
    person.refresh_from_db()
    assert person.first_name == FIRST


def test_erasing_twice_changes_nothing_more(person):
    anonymize_contact(person)
    history = list(get_contact_model().history.filter(id=person.pk).values())
    log = list(LogEntry.objects.values("object_repr", "change_message"))
    anonymize_contact(person)
    assert list(get_contact_model().history.filter(id=person.pk).values())[1:] == history
    assert list(LogEntry.objects.values("object_repr", "change_message")) == log
