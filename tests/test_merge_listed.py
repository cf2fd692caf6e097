"""The keys of the rows a merge moves, as the database lists them, are what its record keeps.

The planner reads a relation's rows as one list per duplicate and hands that text to
the record without reading it (``RelationPlan.listed``), taking out the links it drops.
Whichever way the rows were read, the record names exactly the rows that moved and
those dropped; on MariaDB also when ``group_concat_max_len`` cuts the lists short and
the planner reads the rows one by one instead.
"""

import pytest
from django.db import connection

from django_customer_contacts.models import Tag
from django_customer_contacts.services import merge_contacts, plan_merge
from tests.merge_fixtures import add_activities, add_fk_rows, add_m2m_rows, host, host_models

FK = f"{host.fk_model._meta.label_lower}.{host.fk_field}"
THROUGH = host.m2m_model._meta.get_field(host.m2m_field).remote_field.through
M2M = f"{THROUGH._meta.label_lower}.contact"
ACTIVITY = f"{host_models.Activity._meta.label_lower}.subject"
TAGS = "customer_contacts.tag_contacts.contact"


@pytest.fixture
def pair(customer, make_contact):
    """A duplicate with rows in four listed relations; main shares some of its links."""
    main, dup = make_contact(customer, first_name="Main"), make_contact(customer, first_name="Dup")
    add_fk_rows(dup, 12)
    meetings = add_m2m_rows(dup, 8)
    THROUGH.objects.bulk_create(
        THROUGH(**{f"{host.m2m_model._meta.model_name}": m, "contact": main}) for m in meetings[2:5]
    )
    # Two rows with two-digit keys: "10,11" cut after four characters still has a comma.
    add_activities(main, 10, prefix="Main")
    add_activities(dup, 2)
    tags = [Tag.objects.create(name=f"Tag {i}") for i in range(4)]
    dup.tags.add(*tags)
    main.tags.add(tags[1])
    return main, dup


def links(model, contact, **filters):
    return sorted(model.objects.filter(contact=contact, **filters).values_list("pk", flat=True))


def expected_record(main, dup):
    """What the record must say, worked out from the tables before the merge."""
    other = host.m2m_model._meta.model_name
    shared = THROUGH.objects.filter(contact=main).values(other)
    tag_through = Tag.contacts.through
    dropped_m2m = links(THROUGH, dup, **{f"{other}__in": shared})
    dropped_tags = links(tag_through, dup, tag__in=tag_through.objects.filter(contact=main).values("tag"))
    key = str(dup.pk)
    return {
        FK: ({key: sorted(host.fk_model.objects.filter(**{host.fk_field: dup}).values_list("pk", flat=True))}, {}),
        M2M: ({key: [pk for pk in links(THROUGH, dup) if pk not in dropped_m2m]}, {key: dropped_m2m}),
        ACTIVITY: (
            {key: sorted(host_models.Activity.objects.filter(object_id=dup.pk).values_list("pk", flat=True))},
            {},
        ),
        TAGS: ({key: [pk for pk in links(tag_through, dup) if pk not in dropped_tags]}, {key: dropped_tags}),
    }


def dropped_rows(main, dup):
    """The link rows a merge of ``dup`` into ``main`` drops, whole, as the record keeps them."""
    rows = {}
    for label, through, other in ((M2M, THROUGH, host.m2m_model._meta.model_name), (TAGS, Tag.contacts.through, "tag")):
        shared = through.objects.filter(contact=main).values(other)
        rows[label] = list(through.objects.filter(contact=dup, **{f"{other}__in": shared}).order_by("pk").values())
    return rows


def check_merge(main, dup):
    expected = expected_record(main, dup)
    expected_dropped_rows = dropped_rows(main, dup)
    plan = {relation_plan.relation.label: relation_plan for relation_plan in plan_merge(main, [dup]).relations}
    for label, (moved, dropped) in expected.items():
        assert plan[label].moved_count == len(moved[str(dup.pk)])
        assert {str(pk): pks for pk, pks in plan[label].moved.items()} == moved, label
        assert {str(pk): pks for pk, pks in plan[label].dropped.items()} == dropped, label

    record = merge_contacts(main, [dup])

    for label, (moved, dropped) in expected.items():
        assert record.moved[label]["moved"] == moved, label
        assert record.moved[label]["dropped"] == dropped, label
    # Each dropped link whole: its pk with its own other side (the lists pair by position).
    for label, rows in expected_dropped_rows.items():
        kept = sorted(record.snapshots[str(dup.pk)]["dropped"][label], key=lambda row: row["id"])
        assert kept == rows, label
    # Every row is main's now, the dropped links are gone.
    assert host.fk_model.objects.filter(**{host.fk_field: main}).count() == 12
    assert THROUGH.objects.filter(contact=main).count() == 8
    assert host_models.Activity.objects.filter(object_id=main.pk).count() == 12
    assert sorted(main.tags.values_list("name", flat=True)) == [f"Tag {i}" for i in range(4)]


def test_the_record_names_exactly_the_rows_that_moved_and_those_dropped(pair):
    check_merge(*pair)


@pytest.mark.skipif(connection.vendor != "mysql", reason="group_concat_max_len is MariaDB's and MySQL's")
def test_lists_cut_short_by_group_concat_max_len_are_read_row_by_row(pair):
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION group_concat_max_len = 4")  # the least: "1,2," at most
    try:
        check_merge(*pair)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION group_concat_max_len = DEFAULT")
