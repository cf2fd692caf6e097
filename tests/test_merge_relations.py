"""Every row of every installed model that points at a duplicate ends up pointing at main.

The host apps point at contacts in every way a CRM does (see ``tests/merge_fixtures.py``):
a foreign key, a nullable one, a one-to-one, many-to-manys through Django's table and
through the host's own model under a unique constraint, and generic foreign keys with
an integer and a text object id. With the swapped settings the same set points at the
host's contact model, whose customer has a UUID key.
"""

import pytest
from django.contrib.contenttypes.models import ContentType

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import MergeError
from django_customer_contacts.merging import contact_relations
from django_customer_contacts.models import MergeRecord, Tag
from django_customer_contacts.services import merge_contacts
from tests.merge_fixtures import (
    EXPECTED_RELATIONS,
    SWAPPED,
    add_activities,
    add_attachments,
    add_fk_rows,
    add_m2m_rows,
    add_opportunities,
    fk_rows,
    host,
    host_models,
    link_everything,
    m2m_rows,
    shared_targets,
    table_rows,
)

Activity, Attachment, Badge = host_models.Activity, host_models.Attachment, host_models.Badge
Membership, Opportunity, Project = host_models.Membership, host_models.Opportunity, host_models.Project


@pytest.fixture
def pair(customer, make_contact):
    return make_contact(customer, first_name="Jane"), make_contact(customer, first_name="J.")


def test_relations_are_found_in_the_model_registry():
    assert {relation.label for relation in contact_relations()} == EXPECTED_RELATIONS


def test_every_kind_of_relation_is_repointed(pair, customer, make_contact):
    main, dup = pair
    bystander = make_contact(customer, first_name="Bob")
    link_everything(main, "main")
    link_everything(dup, "dup", count=3)
    link_everything(bystander, "bob")
    Badge.objects.filter(contact=dup).delete()  # a one-to-one only one of them may hold
    merge_contacts(main, [dup])

    assert fk_rows(main).count() == 4
    assert m2m_rows(main).count() == 4
    assert Opportunity.objects.filter(contact=main).count() == 4
    assert Membership.objects.filter(contact=main).count() == 2
    assert Activity.objects.filter(object_id=main.pk).count() == 4
    assert Attachment.objects.filter(object_id=str(main.pk)).count() == 4
    assert sorted(t.name for t in main.tags.all()) == ["T-dup", "T-main"]
    assert not any(
        rows
        for rows in (
            fk_rows(dup),
            m2m_rows(dup),
            Opportunity.objects.filter(contact_id=dup.pk),
            Membership.objects.filter(contact_id=dup.pk),
            Activity.objects.filter(object_id=dup.pk),
            Attachment.objects.filter(object_id=str(dup.pk)),
        )
    )
    # Nothing of the bystander moved.
    assert fk_rows(bystander).count() == m2m_rows(bystander).count() == 1
    assert Activity.objects.filter(object_id=bystander.pk).count() == 1
    assert Badge.objects.get(contact=bystander).code == "B-bob"


def test_a_protecting_foreign_key_doesnt_stop_the_merge(pair):
    main, dup = pair
    [row] = add_fk_rows(dup)
    merge_contacts(main, [dup])
    row.refresh_from_db()
    assert getattr(row, f"{host.fk_field}_id") == main.pk


def test_a_nullable_foreign_key_moves_and_empty_ones_stay_empty(pair):
    main, dup = pair
    [moved] = add_opportunities(dup)
    unassigned = Opportunity.objects.create(title="Nobody's")
    merge_contacts(main, [dup])
    moved.refresh_from_db()
    unassigned.refresh_from_db()
    assert moved.contact == main
    assert unassigned.contact is None


def test_a_one_to_one_moves_when_main_has_none(pair):
    main, dup = pair
    badge = Badge.objects.create(contact=dup, code="B-1")
    merge_contacts(main, [dup])
    badge.refresh_from_db()
    assert badge.contact == main


def test_a_one_to_one_both_hold_is_refused_and_nothing_changes(pair):
    main, dup = pair
    Badge.objects.create(contact=main, code="B-1")
    Badge.objects.create(contact=dup, code="B-2")
    add_fk_rows(dup)
    before = table_rows()
    with pytest.raises(MergeError, match="each have a badge"):
        merge_contacts(main, [dup])
    assert table_rows() == before


def test_a_one_to_one_two_duplicates_hold_is_refused(customer, make_contact):
    main = make_contact(customer)
    first, second = make_contact(customer), make_contact(customer)
    Badge.objects.create(contact=first, code="B-1")
    Badge.objects.create(contact=second, code="B-2")
    with pytest.raises(MergeError, match="each have a badge"):
        merge_contacts(main, [first, second])


def test_a_many_to_many_pair_main_already_has_is_dropped_and_recorded(pair):
    main, dup = pair
    shared = shared_targets()["m2m"]
    through = host.m2m_model._meta.get_field(host.m2m_field).remote_field.through
    owner = f"{host.m2m_model._meta.model_name}_id"
    through.objects.create(**{owner: shared.pk, "contact_id": main.pk})
    repeated = through.objects.create(**{owner: shared.pk, "contact_id": dup.pk})
    [own] = add_m2m_rows(dup)
    record = merge_contacts(main, [dup])
    assert set(m2m_rows(main)) == {shared, own}
    label = f"{through._meta.label_lower}.contact"
    assert record.moved[label]["dropped"] == {str(dup.pk): [repeated.pk]}
    assert record.snapshots[str(dup.pk)]["dropped"][label] == [
        {"id": repeated.pk, owner: shared.pk, "contact_id": dup.pk}
    ]


def test_a_through_row_under_a_unique_constraint_keeps_mains_and_records_the_duplicates(pair):
    main, dup = pair
    project = Project.objects.create(name="Rollout")
    kept = Membership.objects.create(project=project, contact=main, role="sponsor")
    dropped = Membership.objects.create(project=project, contact=dup, role="reviewer")
    other = Membership.objects.create(project=Project.objects.create(name="Audit"), contact=dup, role="lead")
    record = merge_contacts(main, [dup])
    assert set(Membership.objects.filter(contact=main).values_list("pk", "role")) == {
        (kept.pk, "sponsor"),
        (other.pk, "lead"),
    }
    [row] = record.snapshots[str(dup.pk)]["dropped"][f"{Membership._meta.label_lower}.contact"]
    assert (row["id"], row["role"], row["project_id"]) == (dropped.pk, "reviewer", project.pk)


def test_links_two_duplicates_share_are_kept_once(customer, make_contact):
    main = make_contact(customer)
    first, second = make_contact(customer), make_contact(customer)
    vip = Tag.objects.create(name="VIP")
    first.tags.add(vip)
    second.tags.add(vip)
    merge_contacts(main, [first, second])
    assert list(main.tags.all()) == [vip]


def test_generic_foreign_keys_move_and_rows_about_other_models_stay(pair, customer):
    main, dup = pair
    add_activities(dup, 2)
    add_attachments(dup, 2)
    # The same object id, about another model: not the contact's.
    customer_type = ContentType.objects.get_for_model(customer)
    about_customer = Activity.objects.create(summary="Renewal", content_type=customer_type, object_id=dup.pk)
    merge_contacts(main, [dup])
    assert Activity.objects.filter(object_id=main.pk).count() == 2
    assert Attachment.objects.filter(object_id=str(main.pk)).count() == 2
    about_customer.refresh_from_db()
    assert about_customer.object_id == dup.pk


def test_earlier_merge_records_follow_main(customer, make_contact):
    first, second, third = (make_contact(customer, first_name=name) for name in ("A", "B", "C"))
    earlier = merge_contacts(second, [third])
    later = merge_contacts(first, [second])
    earlier.refresh_from_db()
    assert earlier.contact == first
    assert set(MergeRecord.objects.filter(contact=first)) == {earlier, later}


def test_rows_of_a_host_model_with_history_get_history_naming_the_merge(pair):
    main, dup = pair
    [opportunity] = add_opportunities(dup)
    badge = Badge.objects.create(contact=dup, code="B-1")  # its history has UUID ids
    record = merge_contacts(main, [dup])
    for obj in (opportunity, badge):
        latest = type(obj).history.filter(id=obj.pk).latest()
        assert (latest.history_type, latest.contact_id) == ("~", main.pk)
        assert latest.history_change_reason == f"Merge #{record.pk}: moved to contact {main.pk}"


@pytest.mark.skipif(not SWAPPED, reason="only a host's own contact model can declare a many-to-many")
def test_a_many_to_many_declared_on_the_contact_model_is_repointed(pair):
    main, dup = pair
    golf, chess = host_models.Interest.objects.create(name="Golf"), host_models.Interest.objects.create(name="Chess")
    main.interests.add(golf)
    dup.interests.add(golf, chess)
    merge_contacts(main, [dup])
    assert set(main.interests.all()) == {golf, chess}


@pytest.mark.skipif(not SWAPPED, reason="the swapped scenario's customer has a UUID key")
def test_contacts_of_a_uuid_keyed_customer_merge(pair, customer):
    main, dup = pair
    add_fk_rows(dup)
    merge_contacts(main, [dup])
    assert list(customer.contacts.all()) == [main]
    assert get_contact_model().objects.get(pk=main.pk).customer_id == customer.pk
