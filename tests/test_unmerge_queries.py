"""An undo's query count grows with the relations to contacts, never with rows or duplicates.

R is the number of relations pointing at the contact model; an undo may take at most
3R + 10 queries (the savepoint a test's transaction adds included). Every relation has
rows in every case below, with links to re-create, so the same statements run each time.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.merging import contact_relations
from django_customer_contacts.services import merge_contacts, unmerge
from tests.test_merge_queries import merge_scenario, shared  # noqa: F401 (a fixture)

RELATIONS = len(contact_relations())
BUDGET = 3 * RELATIONS + 10


def count_queries(main, duplicates):
    record = merge_contacts(main, duplicates)
    with CaptureQueriesContext(connection) as queries:
        unmerge(record)
    return len(queries)


def test_query_count_is_the_same_for_5_or_1000_rows_per_relation(make_customer, make_contact, shared):  # noqa: F811
    few = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=5)
    many = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=1000)
    counts = (count_queries(*few), count_queries(*many))
    print(f"\nR={RELATIONS}, budget={BUDGET}: 5 rows -> {counts[0]} queries, 1000 rows -> {counts[1]} queries")
    assert counts[0] == counts[1] <= BUDGET
    assert get_contact_model().objects.get(pk=many[1][0].pk).emails.count() >= 1000


def test_query_count_is_the_same_for_1_or_5_duplicates(make_customer, make_contact, shared):  # noqa: F811
    one = merge_scenario(make_customer, make_contact, shared, duplicates=1, rows=2)
    five = merge_scenario(make_customer, make_contact, shared, duplicates=5, rows=2)
    counts = (count_queries(*one), count_queries(*five))
    print(f"\nR={RELATIONS}, budget={BUDGET}: 1 duplicate -> {counts[0]} queries, 5 -> {counts[1]} queries")
    assert counts[0] == counts[1] <= BUDGET


def test_an_undo_without_related_rows_takes_a_handful_of_queries(make_customer, make_contact, shared):  # noqa: F811
    customer = make_customer()
    main, dup = make_contact(customer), make_contact(customer)
    # (One of them notes that the customer's contacts changed: see duplicate_store.)
    assert count_queries(main, [dup]) <= 11
