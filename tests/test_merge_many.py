"""A merge of thousands of duplicates fits every database's limit on query parameters.

SQLite refuses a statement with more bound parameters than its limit (``max_query_params``):
a merge builds lists of every duplicate's key, so the statements are split where needed.
"""

import time

import pytest
from django.db import connection

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail
from django_customer_contacts.services import merge_contacts

DUPLICATES = 10_000


@pytest.mark.django_db
def test_merging_ten_thousand_duplicates_works(customer, make_contact):
    model = get_contact_model()
    main = make_contact(customer, first_name="Main")
    model.objects.bulk_create(
        model(customer=customer, first_name=f"Dup {i}", last_name="Smith") for i in range(DUPLICATES)
    )
    duplicates = list(model.objects.filter(customer=customer).exclude(pk=main.pk).values_list("pk", flat=True))
    ContactEmail.objects.bulk_create(
        ContactEmail(
            contact_id=pk, email=f"dup{pk}@example.com", email_normalized=f"dup{pk}@example.com", is_primary=True
        )
        for pk in duplicates[::10]
    )
    started = time.monotonic()
    record = merge_contacts(main, duplicates)
    print(f"\n{connection.vendor}: merged {len(duplicates)} duplicates in {time.monotonic() - started:.1f}s")
    assert list(model.objects.filter(customer=customer)) == [main]
    assert ContactEmail.objects.filter(contact=main).count() == DUPLICATES // 10
    assert len(record.merged_ids) == DUPLICATES
