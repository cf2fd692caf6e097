"""Merging duplicate contacts: values, contact points, primary, user, record, history, signal, refusals."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import MergeError
from django_customer_contacts.merging import plan_merge
from django_customer_contacts.merging import record as record_module
from django_customer_contacts.models import ContactEmail, MergeRecord, NotificationCategory, Tag
from django_customer_contacts.services import merge_contacts, set_primary_contact
from django_customer_contacts.signals import contacts_merged
from tests.merge_fixtures import table_rows


def reload(contact):
    return get_contact_model().objects.get(pk=contact.pk)


def exists(contact):
    return get_contact_model().objects.filter(pk=contact.pk).exists()


@pytest.fixture
def trio(customer, make_contact):
    """Main (the customer's primary) and two duplicates."""
    return (
        make_contact(customer, first_name="Jane"),
        make_contact(customer, first_name="Jane", job_title="Buyer"),
        make_contact(customer, first_name="Jane", job_title="CFO", timezone="Europe/Paris"),
    )


# -- the duplicates are gone, main stays ---------------------------------------------------


def test_duplicates_are_deleted_and_main_stays(trio):
    main, first, second = trio
    merge_contacts(main, [first, second])
    assert exists(main)
    assert not exists(first) and not exists(second)


def test_duplicates_can_be_given_as_pks_and_repeats_are_ignored(trio):
    main, first, second = trio
    record = merge_contacts(main, [first.pk, second, first])
    assert record.merged_ids == [first.pk, second.pk]


def test_the_callers_main_instance_shows_the_merged_values(trio):
    main, first, _second = trio
    merge_contacts(main, [first])
    assert main.job_title == "Buyer"


# -- field values -------------------------------------------------------------------------


def test_mains_values_win_and_blanks_are_filled_from_the_duplicates_in_order(trio):
    main, first, second = trio
    main.notes = "Met at the fair"
    main.save()
    merge_contacts(main, [second, first])
    main = reload(main)
    assert main.notes == "Met at the fair"
    assert main.job_title == "CFO"  # the first duplicate given has one
    assert main.timezone == "Europe/Paris"


def test_field_sources_pick_the_value_that_survives(trio):
    main, first, second = trio
    main.job_title = "Head of buying"
    main.save()
    merge_contacts(main, [first, second], field_sources={"job_title": first, "timezone": main.pk})
    main = reload(main)
    assert main.job_title == "Buyer"
    assert main.timezone == ""


def test_a_field_that_cant_be_chosen_is_refused(trio):
    main, first, _second = trio
    with pytest.raises(MergeError, match="customer can't be chosen"):
        merge_contacts(main, [first], field_sources={"customer": first})


def test_a_value_from_a_contact_outside_the_merge_is_refused(trio, make_contact, customer):
    main, first, _second = trio
    stranger = make_contact(customer, first_name="Zed")
    with pytest.raises(MergeError, match="main contact or one of the duplicates"):
        merge_contacts(main, [first], field_sources={"job_title": stranger})
    assert exists(first)


def test_opt_outs_win(customer, make_contact):
    """Of the contacts a channel applies to (see test_merge_opt_outs.py for the rest)."""
    main = make_contact(customer, email_allowed=True, sms_allowed=True, phone_allowed=True)
    dup = make_contact(customer)
    dup.add_email("dup@example.com")
    dup.add_phone("+447911123456", kind="mobile")
    dup.refresh_from_db()
    dup.email_allowed = dup.phone_allowed = dup.automated_followups = False
    dup.save()
    merge_contacts(main, [dup])
    main = reload(main)
    assert (main.email_allowed, main.sms_allowed, main.phone_allowed) == (False, True, False)
    assert main.automated_followups is False


def test_the_newest_marketing_consent_evidence_is_kept(customer, make_contact):
    old = datetime(2020, 1, 1, tzinfo=UTC)
    new = datetime(2024, 6, 1, tzinfo=UTC)
    main = make_contact(customer, marketing_consent=True, marketing_consent_at=old, marketing_consent_source="paper")
    dup = make_contact(customer, marketing_consent=True, marketing_consent_at=new, marketing_consent_source="web form")
    merge_contacts(main, [dup])
    main = reload(main)
    assert (main.marketing_consent, main.marketing_consent_at, main.marketing_consent_source) == (
        True,
        new,
        "web form",
    )


def test_consent_given_by_a_duplicate_reaches_main(customer, make_contact):
    main = make_contact(customer)
    dup = make_contact(customer, marketing_consent=True, marketing_consent_source="web form")
    given_at = reload(dup).marketing_consent_at
    merge_contacts(main, [dup])
    main = reload(main)
    assert (main.marketing_consent, main.marketing_consent_at, main.marketing_consent_source) == (
        True,
        given_at,
        "web form",
    )


def test_the_latest_contact_date_is_kept(customer, make_contact):
    main = make_contact(customer, last_contacted_at=datetime(2023, 1, 1, tzinfo=UTC))
    dup = make_contact(customer, last_contacted_at=datetime(2024, 1, 1, tzinfo=UTC))
    merge_contacts(main, [dup])
    assert reload(main).last_contacted_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_the_record_says_where_each_changed_value_came_from(trio):
    main, first, second = trio
    record = merge_contacts(main, [first, second], field_sources={"timezone": second})
    assert record.field_sources == {"job_title": first.pk, "timezone": second.pk}


# -- emails and phones --------------------------------------------------------------------


def test_emails_move_to_main_without_repeating_an_address(customer, make_contact):
    main = make_contact(customer)
    main.add_email("jane@example.com")
    dup = make_contact(customer)
    ContactEmail.objects.create(contact=dup, email="JANE@Example.com")
    ContactEmail.objects.create(contact=dup, email="jane.smith@home.example", kind="personal")
    merge_contacts(main, [dup])
    assert sorted(main.emails.values_list("email", flat=True)) == ["jane.smith@home.example", "jane@example.com"]


def test_main_keeps_its_primary_email_and_phone(customer, make_contact):
    main = make_contact(customer)
    main.add_email("jane@example.com")
    main.add_phone("020 7946 0018", kind="work")
    dup = make_contact(customer)
    dup.add_email("j.smith@example.com")
    dup.add_phone("07911 123456")
    merge_contacts(main, [dup])
    main = reload(main)
    assert main.email == "jane@example.com"
    assert main.phone.as_e164 == "+442079460018"
    assert main.emails.filter(is_primary=True).count() == main.phones.filter(is_primary=True).count() == 1


def test_main_without_an_email_takes_the_first_duplicates_primary_one(customer, make_contact):
    main = make_contact(customer)
    first = make_contact(customer)
    first.add_email("a@example.com")
    first.add_email("b@example.com", primary=True)
    second = make_contact(customer)
    second.add_email("c@example.com")
    merge_contacts(main, [first, second])
    main = reload(main)
    assert main.email == "b@example.com"
    assert main.emails.count() == 3


def test_phones_are_compared_in_e164(customer, make_contact):
    main = make_contact(customer)
    main.add_phone("+44 7911 123456")
    dup = make_contact(customer)
    dup.add_phone("07911 123456")
    dup.add_phone("07911 123457")
    merge_contacts(main, [dup])
    assert sorted(str(n) for n in main.phones.values_list("number", flat=True)) == ["+447911123456", "+447911123457"]


def test_a_dropped_address_and_the_moved_ones_are_in_their_history(customer, make_contact):
    main = make_contact(customer)
    main.add_email("jane@example.com")
    dup = make_contact(customer)
    repeated = ContactEmail.objects.create(contact=dup, email="Jane@example.com")
    moved = ContactEmail.objects.create(contact=dup, email="jane@home.example")
    record = merge_contacts(main, [dup])
    dropped_history = ContactEmail.history.filter(id=repeated.pk).latest()
    assert dropped_history.history_type == "-"
    assert dropped_history.history_change_reason.startswith(f"Merge #{record.pk}:")
    moved_history = ContactEmail.history.filter(id=moved.pk).latest()
    assert (moved_history.history_type, moved_history.contact_id) == ("~", main.pk)
    assert not ContactEmail.objects.filter(pk=repeated.pk).exists()


# -- categories, tags, primary, user ----------------------------------------------------------


def test_notification_categories_and_tags_are_united(customer, make_contact):
    billing, outages, usage = (NotificationCategory.objects.get(code=c) for c in ("billing", "outages", "usage"))
    vip, press = Tag.objects.create(name="VIP"), Tag.objects.create(name="Press")
    main = make_contact(customer)
    main.notification_categories.add(billing, outages)
    main.tags.add(vip)
    dup = make_contact(customer)
    dup.notification_categories.add(outages, usage)
    dup.tags.add(vip, press)
    merge_contacts(main, [dup])
    assert set(main.notification_categories.all()) == {billing, outages, usage}
    assert set(main.tags.all()) == {vip, press}


def test_a_duplicate_that_was_primary_makes_main_primary(customer, make_contact):
    primary = make_contact(customer, first_name="Jane")
    main = make_contact(customer, first_name="Jane")
    merge_contacts(main, [primary])
    assert reload(main).is_primary
    assert list(get_contact_model().objects.filter(customer=customer, is_primary=True)) == [main]


def test_main_that_cant_become_primary_is_refused_and_nothing_changes(customer, make_contact):
    primary = make_contact(customer, first_name="Jane")
    main = make_contact(customer, first_name="Jane", is_active=False)
    before = table_rows()
    with pytest.raises(MergeError, match="inactive"):
        merge_contacts(main, [primary])
    assert table_rows() == before


def test_a_linked_user_moves_to_main(customer, make_contact, django_user_model):
    user = django_user_model.objects.create_user("jane")
    main = make_contact(customer)
    dup = make_contact(customer, user=user)
    merge_contacts(main, [dup])
    assert reload(main).user == user


def test_two_linked_users_are_refused_unless_one_is_chosen(customer, make_contact, django_user_model):
    main = make_contact(customer, user=django_user_model.objects.create_user("jane"))
    dup = make_contact(customer, user=django_user_model.objects.create_user("jsmith"))
    with pytest.raises(MergeError, match="each have a user account"):
        merge_contacts(main, [dup])
    assert exists(dup)
    merge_contacts(main, [dup], field_sources={"user": dup})
    assert reload(main).user.username == "jsmith"


# -- the record, history and the signal -----------------------------------------------------


def test_the_merge_record_holds_full_snapshots(customer, make_contact, django_user_model):
    clerk = django_user_model.objects.create_user("clerk")
    account = django_user_model.objects.create_user("jsmith")
    main = make_contact(customer)
    dup = make_contact(customer, job_title="CFO", birthday=date(1980, 5, 17), user=account)
    dup.add_email("jsmith@example.com")
    dup.add_phone("07911 123456")
    dup.notification_categories.add(NotificationCategory.objects.get(code="billing"))
    dup.tags.add(Tag.objects.create(name="VIP"))
    record = merge_contacts(main, [dup], user=clerk, reason="Same person, imported twice")
    record = MergeRecord.objects.get(pk=record.pk)
    assert (record.contact, record.merged_ids, record.user, record.reason) == (
        main,
        [dup.pk],
        clerk,
        "Same person, imported twice",
    )
    snapshot = record.snapshots[str(dup.pk)]
    assert snapshot["fields"]["job_title"] == "CFO"
    assert snapshot["fields"]["birthday"] == "1980-05-17"
    assert [(e["email"], e["is_primary"]) for e in snapshot["emails"]] == [("jsmith@example.com", True)]
    assert [p["number"] for p in snapshot["phones"]] == ["+447911123456"]
    assert snapshot["notification_categories"] == [NotificationCategory.objects.get(code="billing").pk]
    assert snapshot["tags"] == [Tag.objects.get(name="VIP").pk]
    assert snapshot["user"] == account.pk
    emails = record.moved["customer_contacts.contactemail.contact"]
    assert emails["moved"] == {str(dup.pk): [ContactEmail.objects.get(email="jsmith@example.com").pk]}
    assert list(main.merge_records.all()) == [record]


def test_history_shows_the_deletion_and_mains_change_naming_the_merge(trio, django_user_model):
    main, first, second = trio
    clerk = django_user_model.objects.create_user("clerk")
    record = merge_contacts(main, [first, second], user=clerk)
    Contact = get_contact_model()
    for dup in (first, second):
        deleted = Contact.history.filter(id=dup.pk).latest()
        assert deleted.history_type == "-"
        assert deleted.history_user == clerk
        assert deleted.history_change_reason == f"Merge #{record.pk}: merged into contact {main.pk}"
    changed = Contact.history.filter(id=main.pk).latest()
    assert changed.history_type == "~"
    assert changed.job_title == "Buyer"
    assert changed.history_change_reason == f"Merge #{record.pk}: contacts {first.pk}, {second.pk} merged into this one"


def test_contacts_merged_is_sent_inside_the_transaction(trio):
    main, first, _second = trio
    received = []

    def receiver(sender, **kwargs):
        received.append(
            (
                sender,
                kwargs["contact"],
                kwargs["merged_ids"],
                kwargs["record"],
                transaction.get_connection().in_atomic_block,
            )
        )

    contacts_merged.connect(receiver)
    try:
        record = merge_contacts(main, [first])
    finally:
        contacts_merged.disconnect(receiver)
    assert received == [(get_contact_model(), main, [first.pk], record, True)]


def test_the_record_is_saved_with_djangos_save_signals(trio):
    """The record's INSERT is compiled once, yet its pre_save and post_save are sent as
    save() sends them: before the row exists, then with the row written."""
    main, first, _second = trio
    first.add_email("jane@example.com")
    seen = []

    def before(sender, instance, raw, using, update_fields, **kwargs):
        seen.append(("pre_save", instance.pk, instance._state.adding, raw, using, update_fields))

    def after(sender, instance, created, raw, using, update_fields, **kwargs):
        stored = MergeRecord.objects.get(pk=instance.pk)
        seen.append(("post_save", instance.pk, created, raw, using, update_fields))
        seen.append(("stored", stored.merged_ids, stored.moved == instance.moved, instance.moved != {}))

    pre_save.connect(before, sender=MergeRecord)
    post_save.connect(after, sender=MergeRecord)
    try:
        record = merge_contacts(main, [first], reason="same person")
    finally:
        pre_save.disconnect(before, sender=MergeRecord)
        post_save.disconnect(after, sender=MergeRecord)
    assert seen == [
        ("pre_save", None, True, False, "default", None),
        ("post_save", record.pk, True, False, "default", None),
        ("stored", [first.pk], True, True),
    ]
    assert record.pk is not None and not record._state.adding
    assert record.created is not None and record.reason == "same person"
    assert MergeRecord.objects.get(pk=record.pk).created == record.created


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL always returns the key (RETURNING)")
def test_the_record_gets_its_key_where_the_database_returns_none(trio, monkeypatch):
    """MySQL (and MariaDB before 10.5) can't return the new key from the INSERT: the
    record then reads it as Django does (the cursor's last id)."""
    main, first, second = trio
    first.add_email("jane@example.com")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    monkeypatch.setattr(record_module, "_INSERTS", {})  # compiled again, without RETURNING
    earlier = MergeRecord.objects.create(contact=main, merged_ids=[0])
    record = merge_contacts(main, [first, second])
    (insert,) = record_module._INSERTS.values()
    assert "RETURNING" not in insert.sql.upper()
    assert record.pk == MergeRecord.objects.latest("pk").pk > earlier.pk
    assert record.merged_ids == [first.pk, second.pk]
    assert record.moved == MergeRecord.objects.get(pk=record.pk).moved != {}


def test_a_receiver_that_raises_undoes_the_merge(trio):
    main, first, second = trio
    first.add_email("jane@example.com")
    before = table_rows()

    def receiver(**kwargs):
        raise RuntimeError("the CRM's search index is down")

    contacts_merged.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            merge_contacts(main, [first, second])
    finally:
        contacts_merged.disconnect(receiver)
    assert table_rows() == before


def test_plan_merge_says_what_would_happen_and_changes_nothing(trio):
    main, first, _second = trio
    first.add_email("jane@example.com")
    before = table_rows()
    plan = plan_merge(main, [first])
    # Main had no email: the one that moves brings its permission.
    assert plan.values == {"job_title": "Buyer", "email_allowed": True}
    assert any("contactemail" in line and "1 moved" in line for line in plan.describe())
    assert table_rows() == before


# -- refusals: a MergeError, and nothing changed -----------------------------------------------


def refused(main, duplicates, match, **kwargs):
    before = table_rows()
    with pytest.raises(MergeError, match=match):
        merge_contacts(main, duplicates, **kwargs)
    assert table_rows() == before


def test_merging_nothing_is_refused(trio):
    refused(trio[0], [], "Choose at least one duplicate")


def test_main_among_the_duplicates_is_refused(trio):
    main, first, _second = trio
    refused(main, [first, main], "is the main contact")


def test_contacts_of_different_customers_are_refused(trio, make_customer, make_contact):
    main, first, _second = trio
    other = make_contact(make_customer("Globex"))
    refused(main, [first, other], "same customer")


def test_a_duplicate_that_no_longer_exists_is_refused(trio):
    main, first, second = trio
    second_pk = second.pk
    get_contact_model().objects.filter(pk=second_pk).delete()
    refused(main, [first, second], f"#{second_pk} no longer exists")


def test_a_main_that_no_longer_exists_is_refused_and_not_recreated(trio):
    main, first, _second = trio
    set_primary_contact(first)
    get_contact_model().objects.filter(pk=main.pk).delete()
    refused(main, [first], "no longer exists")
    assert not exists(main)


def test_an_unsaved_main_is_refused(customer, trio):
    refused(get_contact_model()(customer=customer, last_name="New"), [trio[1]], "Save the main contact")
