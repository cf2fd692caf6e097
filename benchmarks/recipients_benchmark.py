"""``recipients()`` of the 20,000-contact customer for a category, beside the hand-written SQL.

Runs on the million-contact database (``million.py`` builds it on first use):

    python benchmarks/recipients_benchmark.py --db postgres --name bench_million_pg [--explain]
    python benchmarks/recipients_benchmark.py --db mariadb --name bench_million_mariadb

Prints the median time of the app's query (the SQL ``recipients()`` compiles to, executed
and fetched) beside the minimal SQL a person would write for the same rows, their ratio,
and the ORM's time to build the contacts from those rows. The target is under 100 ms for
the query. Both must return the same contacts and addresses.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import million

REFERENCE = """
SELECT c.*, (SELECT e.email FROM {email} e WHERE e.contact_id = c.id ORDER BY e.is_primary DESC, e.id LIMIT 1)
FROM {contact} c
WHERE c.customer_id = %s AND c.is_active AND c.email_allowed AND c.scope_content_type_id IS NULL
  AND EXISTS (SELECT 1 FROM {email} e WHERE e.contact_id = c.id)
  AND (c.receive_all_notifications
       OR EXISTS (SELECT 1 FROM {membership} m WHERE m.contact_id = c.id AND m.notificationcategory_id = %s))
ORDER BY c.is_primary DESC, c.last_name, c.first_name, c.id
"""


def main() -> int:
    parser = million.benchmark_parser(__doc__, repeat=7)
    parser.add_argument("--category", default="billing")
    options = parser.parse_args()
    million.open_database(options.db, options.name)

    from django_customer_contacts import get_contact_model
    from django_customer_contacts.models import ContactEmail, NotificationCategory

    contacts = get_contact_model()._default_manager
    customer = million.big_customer_id()
    category = NotificationCategory.objects.get(code=options.category)
    queryset = contacts.recipients(customer, category=options.category)
    sql, params = queryset.query.sql_with_params()
    reference = REFERENCE.format(
        contact=get_contact_model()._meta.db_table,
        email=ContactEmail._meta.db_table,
        membership=NotificationCategory.contacts.through._meta.db_table,
    )
    reference_params = [customer, category.pk]

    ours = {(c.pk, c.recipient_address) for c in queryset}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(reference, reference_params)
        theirs = {(row[0], row[-1]) for row in cursor.fetchall()}
    assert ours == theirs, (len(ours), len(theirs))

    # In turns, so that a change in the machine's load weighs on both.
    app_ms, reference_ms = million.medians_in_turns(
        [lambda: million.run_sql(sql, params), lambda: million.run_sql(reference, reference_params)], options.repeat
    )
    app_times, reference_times = [], []
    for _ in range(options.repeat):
        app_times.append(million.server_ms(sql, params))
        reference_times.append(million.server_ms(reference, reference_params))
    app_server, reference_server = statistics.median(app_times), statistics.median(reference_times)
    orm_ms = million.median_ms(lambda: list(queryset.all()), max(3, options.repeat // 2))
    print(f"recipients(big customer, category={options.category!r}) on {connection.vendor}: {len(ours):,} contacts")
    print(f"  {'':15}{'in the database':>16} {'and fetched':>12}   (medians of {options.repeat}, in turns)")
    print(f"  app query      {app_server:13.1f} ms {app_ms:9.1f} ms")
    print(f"  reference SQL  {reference_server:13.1f} ms {reference_ms:9.1f} ms")
    print(f"  ratio          {app_server / reference_server:13.2f}x {app_ms / reference_ms:9.2f}x")
    print("  target: the app's query under 100 ms in the database")
    print(f"  ORM, rows to contact instances: {orm_ms:.1f} ms")
    if options.explain:
        print("\napp query plan:\n" + million.explain(sql, params))
        print("\nreference plan:\n" + million.explain(reference, reference_params))
    return 0


if __name__ == "__main__":
    sys.exit(main())
