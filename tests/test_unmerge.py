"""Undoing a merge: every table as it was before it, for every relation kind; refusals; chains."""

from datetime import UTC, datetime

import pytest

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import (
    AlreadyUndoneError,
    ErasedSinceError,
    MergeError,
    UnmergeConflictError,
    UnmergeError,
    UnmergeOrderError,
)
from django_customer_contacts.models import ContactEmail, ContactPhone, MergeRecord, Tag
from django_customer_contacts.services import (
    anonymize_contact,
    merge_contacts,
    plan_unmerge,
    set_primary_contact,
    unmerge,
)
from django_customer_contacts.signals import contacts_unmerged
from tests.merge_fixtures import (
    EXPECTED_RELATIONS,
    add_fk_rows,
    contacts_with_every_relation,
    data_rows,
    fk_rows,
    generic,
    host,
    host_models,
    table_rows,
)


def assert_tables_equal(before, after):
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label


def reload(contact):
    return get_contact_model()._base_manager.get(pk=contact.pk)


def exists(contact):
    return get_contact_model()._base_manager.filter(pk=contact.pk).exists()


@pytest.fixture
def merge_case(customer, make_contact, django_user_model):
    return contacts_with_every_relation(customer, make_contact, django_user_model)


def test_merge_then_unmerge_leaves_every_table_as_before(merge_case):
    main, duplicates = merge_case
    before = data_rows()
    record = merge_contacts(main, duplicates, reason="imported twice")
    assert set(record.moved) == EXPECTED_RELATIONS  # every relation kind had rows to move
    assert data_rows() != before
    returned = unmerge(record, reason="not the same person")
    assert returned.pk == record.pk and returned.is_undone
    assert_tables_equal(before, data_rows())


def test_the_restored_contacts_have_their_pks_rows_and_primary_role(merge_case):
    main, (first, second) = merge_case
    first_emails = set(first.emails.values_list("pk", "email", "is_primary"))
    invoices = set(fk_rows(second).values_list("pk", flat=True))
    record = merge_contacts(main, [first, second])
    unmerge(record)
    first, second, main = reload(first), reload(second), reload(main)
    assert first.is_primary and not main.is_primary
    assert first.user is not None and main.user is None
    assert set(first.emails.values_list("pk", "email", "is_primary")) == first_emails
    assert set(fk_rows(second).values_list("pk", flat=True)) == invoices
    assert first.job_title == "CFO" and main.job_title == ""
    assert second.merge_records.count() == 1  # the earlier merge into it went back with it


def test_the_record_says_who_undid_it_when_and_why(customer, make_contact, django_user_model):
    clerk = django_user_model.objects.create_user("clerk")
    main, dup = make_contact(customer), make_contact(customer, job_title="CFO")
    record = merge_contacts(main, [dup])
    unmerge(record, user=clerk, reason="Two people after all")
    record = MergeRecord.objects.get(pk=record.pk)
    assert record.undone_by == clerk
    assert record.undo_reason == "Two people after all"
    assert abs((datetime.now(UTC) - record.undone_at).total_seconds()) < 60
    assert record.undo_notes == []


def test_history_names_the_undo(customer, make_contact, django_user_model):
    clerk = django_user_model.objects.create_user("clerk")
    main, dup = make_contact(customer), make_contact(customer)
    dup.add_email("dup@example.com")
    ContactEmail.objects.create(contact=main, email="both@example.com")
    ContactEmail.objects.create(contact=dup, email="BOTH@example.com")
    record = merge_contacts(main, [dup])
    unmerge(record, user=clerk)
    Contact = get_contact_model()
    restored = Contact.history.filter(id=dup.pk).latest()
    assert (restored.history_type, restored.history_user) == ("+", clerk)
    assert restored.history_change_reason == f"Undo of merge #{record.pk}: restored from contact {main.pk}"
    changed = Contact.history.filter(id=main.pk).latest()
    assert changed.history_change_reason == f"Undo of merge #{record.pk}: contacts {dup.pk} restored from this one"
    moved = ContactEmail.history.get(email="dup@example.com", history_change_reason__startswith="Undo")
    assert (moved.history_type, moved.contact_id) == ("~", dup.pk)
    assert moved.history_change_reason == f"Undo of merge #{record.pk}: moved back from contact {main.pk}"
    recreated = ContactEmail.history.get(email="BOTH@example.com", history_change_reason__startswith="Undo")
    assert (recreated.history_type, recreated.contact_id) == ("+", dup.pk)


def test_contacts_unmerged_is_sent_inside_the_transaction(customer, make_contact, django_user_model):
    clerk = django_user_model.objects.create_user("clerk")
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    received = []

    def receiver(sender, contact, restored_ids, record, user, **kwargs):
        received.append((sender, contact.pk, restored_ids, record.pk, user, exists(dup), record.is_undone))

    contacts_unmerged.connect(receiver)
    try:
        unmerge(record, user=clerk)
    finally:
        contacts_unmerged.disconnect(receiver)
    assert received == [(get_contact_model(), main.pk, [dup.pk], record.pk, clerk, True, True)]


def test_a_record_or_its_pk(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    unmerge(str(record.pk))
    assert exists(dup)
    with pytest.raises(UnmergeError, match="no merge record #abc"):
        unmerge("abc")


def test_the_preview_says_what_will_happen_and_changes_nothing(merge_case):
    main, duplicates = merge_case
    record = merge_contacts(main, duplicates)
    before = table_rows()
    plan = plan_unmerge(record)
    assert table_rows() == before
    lines = plan.describe()
    assert lines[0].startswith(f"Undo merge #{record.pk}: restore ")
    assert any(f"back to {duplicates[1]} (#{duplicates[1].pk})" in line for line in lines)
    assert f"{duplicates[0]} (#{duplicates[0].pk}) is the primary contact again." in lines
    assert sorted(plan.restored_ids) == sorted(d.pk for d in duplicates)


# -- main's fields and the primary role ------------------------------------------------------


def test_mains_fields_changed_since_the_merge_keep_the_newer_value_and_the_record_says_so(customer, make_contact):
    main = make_contact(customer)
    dup = make_contact(customer, job_title="CFO", timezone="Europe/Paris", notes="met at fair")
    record = merge_contacts(main, [dup])
    main.refresh_from_db()
    main.job_title = "CEO"
    main.save()
    unmerge(record)
    main.refresh_from_db()
    assert (main.job_title, main.timezone, main.notes) == ("CEO", "", "")
    [note] = MergeRecord.objects.get(pk=record.pk).undo_notes
    assert "job title" in note and "'CEO'" in note and "'CFO'" not in note


def test_marketing_consent_stays_one_piece_of_evidence(customer, make_contact):
    main = make_contact(customer)
    dup = make_contact(customer, marketing_consent=True, marketing_consent_source="web form")
    record = merge_contacts(main, [dup])
    main.refresh_from_db()
    main.marketing_consent_source = "signed paper form"
    main.save()
    unmerge(record)
    main.refresh_from_db()
    assert (main.marketing_consent, main.marketing_consent_source) == (True, "signed paper form")
    assert main.marketing_consent_at is not None


def test_the_primary_changed_since_stays(customer, make_contact):
    main = make_contact(customer)
    dup = make_contact(customer)
    other = make_contact(customer)
    set_primary_contact(dup)
    record = merge_contacts(main, [dup])
    set_primary_contact(other)
    unmerge(record)
    assert reload(other).is_primary and not reload(dup).is_primary and not reload(main).is_primary
    [note] = MergeRecord.objects.get(pk=record.pk).undo_notes
    assert "was the primary contact before the merge" in note


def test_mains_points_keep_a_primary_when_its_primary_goes_back(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    own = main.add_email("main@example.com")
    dup.add_email("dup@example.com")
    record = merge_contacts(main, [dup])
    moved = ContactEmail.objects.get(email="dup@example.com")
    moved.is_primary = True
    moved.save()  # main's own one is demoted
    unmerge(record)
    assert ContactEmail.objects.get(pk=own.pk).is_primary
    assert ContactEmail.objects.get(pk=moved.pk).is_primary and reload(dup).email == "dup@example.com"


def test_a_restored_contact_gets_its_user_back_from_main(customer, make_contact, django_user_model):
    account = django_user_model.objects.create_user("jsmith")
    main, dup = make_contact(customer), make_contact(customer, user=account)
    record = merge_contacts(main, [dup])
    assert reload(main).user == account
    unmerge(record)
    assert reload(dup).user == account and reload(main).user is None


# -- refusals: nothing changes ----------------------------------------------------------------


def refused(record, error, match, **kwargs):
    before = table_rows()
    with pytest.raises(error, match=match) as info:
        unmerge(record, **kwargs)
    assert table_rows() == before
    assert isinstance(info.value, MergeError)
    return info.value


def test_undoing_twice_is_refused(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    unmerge(record)
    refused(record, AlreadyUndoneError, f"Merge #{record.pk} was undone already")


def test_a_moved_row_deleted_since_is_refused_naming_it(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    add_fk_rows(dup, 2)
    invoice = fk_rows(dup).first().pk
    record = merge_contacts(main, [dup])
    host.fk_model.objects.filter(pk=invoice).delete()
    refused(
        record,
        UnmergeConflictError,
        rf"1 of the .* that merge #{record.pk} moved .* was deleted since \(#{invoice}\)",
    )


def test_a_moved_row_moved_elsewhere_since_is_refused_naming_it(customer, make_contact):
    main, dup, other = make_contact(customer), make_contact(customer), make_contact(customer)
    dup.add_email("dup@example.com")
    record = merge_contacts(main, [dup])
    ContactEmail.objects.filter(email="dup@example.com").update(contact=other)
    email = ContactEmail.objects.get(email="dup@example.com")
    refused(record, UnmergeConflictError, rf"email addresses #{email.pk}, .* was moved to contact #{other.pk} since")


def test_a_generic_row_moved_elsewhere_since_is_refused(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    activity = host_models.Activity.objects.create(summary="Call", **generic(dup))
    record = merge_contacts(main, [dup])
    host_models.Activity.objects.filter(pk=activity.pk).update(object_id=10**9)
    refused(record, UnmergeConflictError, f"#{activity.pk}, which merge #{record.pk} moved")


def test_a_restored_pk_taken_since_is_refused(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    get_contact_model().objects.create(pk=dup.pk, customer=customer, first_name="Imposter")
    refused(record, UnmergeConflictError, f"Contact #{dup.pk} exists again")


def test_a_user_account_linked_to_another_contact_since_is_refused(customer, make_contact, django_user_model):
    account = django_user_model.objects.create_user("jsmith")
    main, dup, other = make_contact(customer), make_contact(customer, user=account), make_contact(customer)
    record = merge_contacts(main, [dup])
    get_contact_model().objects.filter(pk=main.pk).update(user=None)
    get_contact_model().objects.filter(pk=other.pk).update(user=account)
    refused(record, UnmergeConflictError, f"belongs to contact #{other.pk} now")


def test_a_merge_whose_survivor_was_erased_is_refused(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    anonymize_contact(main)
    refused(record, ErasedSinceError, "erased since")


def test_a_survivor_deleted_since_is_refused(customer, make_contact):
    make_contact(customer)  # the primary
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    main_pk = main.pk
    main.delete()
    refused(record, UnmergeConflictError, f"Contact #{main_pk}, which merge #{record.pk} kept, was deleted since")


def test_a_survivor_moved_to_another_customer_is_refused(customer, make_contact, make_customer):
    make_contact(customer)
    main, dup = make_contact(customer), make_contact(customer)
    record = merge_contacts(main, [dup])
    get_contact_model().objects.filter(pk=main.pk).update(customer=make_customer())
    refused(record, UnmergeConflictError, "was moved to another customer since")


def test_a_dropped_link_to_a_tag_deleted_since_is_not_recreated_and_the_record_says_so(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    vip = Tag.objects.create(name="VIP")
    main.tags.add(vip)
    dup.tags.add(vip)
    record = merge_contacts(main, [dup])
    vip.delete()
    unmerge(record)
    assert not reload(dup).tags.exists()
    [note] = MergeRecord.objects.get(pk=record.pk).undo_notes
    assert "isn't re-created" in note and "tag" in note


# -- chains -------------------------------------------------------------------------------------


def test_a_chain_is_undone_last_merge_first(customer, make_contact):
    a, b, c = (make_contact(customer, first_name=name) for name in ("Ann", "Bea", "Cat"))
    for contact in (a, b, c):
        add_fk_rows(contact, 2, prefix=contact.first_name)
        contact.add_phone(f"+4479111{contact.pk:05d}")
    before = data_rows()
    first = merge_contacts(b, [a])
    second = merge_contacts(c, [b])
    error = refused(first, UnmergeOrderError, f"Undo merge #{second.pk} first")
    assert error.undo_first == second

    unmerge(second)
    assert exists(b) and not exists(a)
    assert fk_rows(b).count() == 4 and fk_rows(c).count() == 2  # b has a's rows again
    assert list(b.merge_records.all()) == [first]
    unmerge(first)
    assert exists(a)
    assert_tables_equal(before, data_rows())


def test_a_later_merge_into_the_same_contact_does_not_block_an_undo(customer, make_contact):
    main, first, second = (make_contact(customer, first_name=name) for name in ("Ann", "Bea", "Cat"))
    add_fk_rows(first, 1, prefix="first")
    add_fk_rows(second, 1, prefix="second")
    record = merge_contacts(main, [first])
    merge_contacts(main, [second])
    unmerge(record)
    assert fk_rows(first).count() == 1 and fk_rows(main).count() == 1


def test_an_undone_merge_can_be_merged_again(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    add_fk_rows(dup, 2)
    unmerge(merge_contacts(main, [dup]))
    record = merge_contacts(main, [dup])
    assert fk_rows(main).count() == 2
    unmerge(record)
    assert fk_rows(dup).count() == 2


# -- records of merges made before undoing existed -------------------------------------------


def test_a_record_without_mains_values_takes_them_from_history(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer, job_title="CFO")
    record = merge_contacts(main, [dup])
    MergeRecord.objects.filter(pk=record.pk).update(survivor={"pk": main.pk})
    unmerge(record)
    assert reload(main).job_title == ""
    assert reload(dup).job_title == "CFO"


# -- erasure and undone merges ------------------------------------------------------------------


def test_erasing_a_contact_spares_the_history_of_contacts_it_gave_back(customer, make_contact):
    main = make_contact(customer, first_name="Mia", last_name="Main")
    dup = make_contact(customer, first_name="Dora", last_name="Dupont")
    record = merge_contacts(main, [dup])
    unmerge(record)
    anonymize_contact(main)
    names = set(get_contact_model().history.filter(id=dup.pk).values_list("last_name", flat=True))
    assert names == {"Dupont"}
    record.refresh_from_db()
    assert record.snapshots[str(dup.pk)]["fields"]["last_name"] == "Dupont"
    assert "Main" not in str(record.survivor)


def test_erasing_a_restored_contact_erases_its_snapshot(customer, make_contact):
    main = make_contact(customer, first_name="Mia", last_name="Main")
    dup = make_contact(customer, first_name="Dora", last_name="Dupont")
    record = merge_contacts(main, [dup])
    unmerge(record)
    anonymize_contact(dup)
    record.refresh_from_db()
    assert "Dupont" not in str(record.snapshots)


def test_phone_numbers_and_emails_come_back_as_they_were(customer, make_contact):
    main, dup = make_contact(customer), make_contact(customer)
    dup.add_phone("07911 123456")
    dup.add_phone("020 7946 0018", kind="work")
    main.add_phone("020 7946 0018", kind="office")
    before = set(ContactPhone.objects.values_list("pk", "contact_id", "number", "kind", "is_primary", "modified"))
    unmerge(merge_contacts(main, [dup]))
    after = set(ContactPhone.objects.values_list("pk", "contact_id", "number", "kind", "is_primary", "modified"))
    assert after == before


def test_a_user_account_deleted_since_leaves_the_restored_contact_without_one(
    customer, make_contact, django_user_model
):
    account = django_user_model.objects.create_user("jsmith")
    main, dup = make_contact(customer), make_contact(customer, user=account)
    record = merge_contacts(main, [dup])
    account.delete()  # unlinks main (SET_NULL)
    unmerge(record)
    assert reload(dup).user is None
    notes = MergeRecord.objects.get(pk=record.pk).undo_notes
    assert any("restored without its user account" in note for note in notes)
