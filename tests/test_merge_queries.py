"""A merge's query count grows with the relations to contacts, never with rows or duplicates.

R is the number of relations pointing at the contact model; a merge may take at most
2R + 8 queries (the savepoint a test's transaction adds included). Every relation has
rows in every case below, with links to drop, so the same statements run each time.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.merging import contact_relations
from django_customer_contacts.services import merge_contacts
from tests.merge_fixtures import host_models, link_everything, shared_targets

RELATIONS = len(contact_relations())
BUDGET = 2 * RELATIONS + 8


@pytest.fixture
def shared(db):
    # Warm what a long-running process has cached: content types, backend features.
    ContentType.objects.get_for_models(get_contact_model(), for_concrete_models=False)
    with connection.cursor():
        pass
    connection.features.supports_json_field  # noqa: B018 (SQLite asks the database once)
    return shared_targets()


def merge_scenario(make_customer, make_contact, shared, *, duplicates, rows):
    """Main and ``duplicates`` contacts, each with ``rows`` rows in every relation."""
    customer = make_customer()
    main = make_contact(customer, first_name="Main")
    link_everything(main, f"main-{main.pk}", shared=shared)
    dups = [make_contact(customer, first_name=f"Dup {i}") for i in range(duplicates)]
    for dup in dups:
        link_everything(dup, f"dup-{dup.pk}", count=rows, shared=shared)
    # The one-to-one: main has none, the first duplicate brings one.
    host_models.Badge.objects.filter(contact__in=[main, *dups[1:]]).delete()
    return main, dups


def count_queries(main, duplicates):
    with CaptureQueriesContext(connection) as queries:
        merge_contacts(main, duplicates)
    return len(queries)


def test_query_count_is_the_same_for_5_or_1000_rows_per_relation(make_customer, make_contact, shared):
    few = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=5)
    many = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=1000)
    counts = (count_queries(*few), count_queries(*many))
    print(f"\nR={RELATIONS}, budget={BUDGET}: 5 rows -> {counts[0]} queries, 1000 rows -> {counts[1]} queries")
    assert counts[0] == counts[1] <= BUDGET
    moved = get_contact_model().objects.get(pk=many[0].pk).merge_records.get().moved
    assert sum(len(pks) for relation in moved.values() for pks in relation["moved"].values()) >= 7000


def test_query_count_is_the_same_for_1_or_5_duplicates(make_customer, make_contact, shared):
    one = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=2)
    five = merge_scenario(make_customer, make_contact, shared, duplicates=5, rows=2)
    counts = (count_queries(*one), count_queries(*five))
    print(f"\nR={RELATIONS}, budget={BUDGET}: 1 duplicate -> {counts[0]} queries, 5 -> {counts[1]} queries")
    assert counts[0] == counts[1] <= BUDGET


def test_a_merge_without_related_rows_takes_a_handful_of_queries(make_customer, make_contact, shared):
    customer = make_customer()
    main, dup = make_contact(customer), make_contact(customer)
    # (One of them notes that the customer's contacts changed: see duplicate_store.)
    assert count_queries(main, [dup]) <= 10
