"""The admin's contact changelist and the big customer's pages at a million contacts.

Runs on the million-contact database (``million.py`` builds it on first use):

    python benchmarks/changelist_benchmark.py --db postgres --name bench_million_pg [--explain]
    python benchmarks/changelist_benchmark.py --db mariadb --name bench_million_mariadb

Each page is requested through Django's test client as a superuser (the whole request:
queries, rendering, as a server runs it: without ``setup_test_environment()``, whose
template instrumentation copies every template's context for the test client, a
third more time on a 100-row page; ``--instrumented`` measures with it), ``--repeat``
times after a warm-up; the median is printed beside
the hand-written SQL that reads the same page of rows (the reference: what the
database needs at least), with their ratio, the time the request spent in its queries
(executed and fetched; the rest is Django: the admin's rendering) and the number of
queries the page made. The list shows active contacts by default: so do the references.
Targets: every changelist page under 150 ms with at most 6 queries; the big customer's
admin page under 500 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import million

#: The page the reference reads: the default ordering, a page of 100.
REFERENCE = """
SELECT c.*, cu.name,
  (SELECT e.email FROM {email} e WHERE e.contact_id = c.id ORDER BY e.is_primary DESC, e.id LIMIT 1),
  (SELECT p.number FROM {phone} p WHERE p.contact_id = c.id ORDER BY p.is_primary DESC, p.id LIMIT 1)
FROM (SELECT c.id FROM {contact} c WHERE c.is_active {where}
      ORDER BY c.is_primary DESC, c.last_name, c.first_name, c.id LIMIT 100 OFFSET {offset}) page
JOIN {contact} c ON c.id = page.id JOIN {customer} cu ON cu.id = c.customer_id
ORDER BY c.is_primary DESC, c.last_name, c.first_name, c.id
"""


def cases(tag_id: int, other_tag_id: int, big: int, sample, vendor: str) -> list[tuple[str, dict[str, str], str, int]]:
    """(label, query string, the reference's condition, its OFFSET); ``sample``: a contact searched for."""
    name = sample.name_key
    email = sample.emails.get(is_primary=True).email_normalized
    number = str(sample.phones.get(is_primary=True).number)  # +4477 and 8 digits
    national, digits = f"0{number[3:7]} {number[7:]}", number[-6:]
    # The end of a number: MariaDB and MySQL read it from the reversed number's index.
    ends_with = f"p.cc_number_reversed LIKE '{digits[::-1]}%%'" if vendor == "mysql" else f"p.number LIKE '%%{digits}'"
    last = sample.last_name
    return [
        ("first page", {}, "", 0),
        ("page 5,000", {"p": "4999"}, "", 499_900),
        (
            "filter: a tag",
            {"tags__id__exact": str(tag_id)},
            f"AND EXISTS (SELECT 1 FROM {{tagged}} t WHERE t.contact_id = c.id AND t.tag_id = {tag_id})",
            0,
        ),
        (
            # "Newsletter": among the primary contacts, which sort first ("VIP" is not).
            "filter: a tag of primaries",
            {"tags__id__exact": str(other_tag_id)},
            f"AND EXISTS (SELECT 1 FROM {{tagged}} t WHERE t.contact_id = c.id AND t.tag_id = {other_tag_id})",
            0,
        ),
        ("search: full name", {"q": name.title()}, f"AND c.name_key LIKE '{name}%%'", 0),
        ("search: last name", {"q": last.lower()}, f"AND c.last_name LIKE '{last}%%'", 0),
        (
            "search: email",
            {"q": email},
            f"AND EXISTS (SELECT 1 FROM {{email}} e WHERE e.contact_id = c.id AND e.email_normalized = '{email}')",
            0,
        ),
        (
            "search: phone, whole",
            {"q": national},
            f"AND EXISTS (SELECT 1 FROM {{phone}} p WHERE p.contact_id = c.id AND p.number = '{number}')",
            0,
        ),
        (
            "search: phone, last digits",
            {"q": digits},
            f"AND EXISTS (SELECT 1 FROM {{phone}} p WHERE p.contact_id = c.id AND {ends_with})",
            0,
        ),
        ("big customer's contacts", {"customer__id__exact": str(big)}, f"AND c.customer_id = {big}", 0),
    ]


@contextmanager
def recording(connection):
    """The statements run meanwhile, with their parameters (``connection.queries`` is
    emptied when a request starts, so ``CaptureQueriesContext`` can't see a request's)."""
    statements: list[tuple[str, object, float]] = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql, params, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(record):
        yield statements


def main() -> int:
    parser = million.benchmark_parser(__doc__, repeat=5)
    parser.add_argument("--only", help="run the cases whose label contains this")
    parser.add_argument(
        "--instrumented", action="store_true", help="render with the test environment's template instrumentation"
    )
    options = parser.parse_args()
    million.open_database(options.db, options.name)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from django_customer_contacts import get_contact_model, get_customer_model
    from django_customer_contacts.models import ContactEmail, ContactPhone, Tag

    if options.instrumented:
        setup_test_environment()
    else:
        # What setup_test_environment() would allow, without its instrumentation.
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user_model = get_user_model()
    admin = user_model._default_manager.filter(username="bench-admin").first()
    if admin is None:
        admin = user_model._default_manager.create_superuser("bench-admin", "admin@example.com", "x")
    client = Client()
    client.force_login(admin)
    contact_model = get_contact_model()
    opts = contact_model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    tag = Tag.objects.get(name="VIP")
    big = million.big_customer_id()
    tables = {
        "contact": opts.db_table,
        "customer": get_customer_model()._meta.db_table,
        "email": ContactEmail._meta.db_table,
        "phone": ContactPhone._meta.db_table,
        "tagged": Tag.contacts.through._meta.db_table,
    }
    customer_opts = get_customer_model()._meta
    customer_page = reverse(f"admin:{customer_opts.app_label}_{customer_opts.model_name}_change", args=[big])
    customer_list = reverse("customer_contacts:contact_list", kwargs={"customer_pk": big})

    def request(url: str, params: dict[str, str]) -> int:
        response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
        response.content  # noqa: B018  (rendered)
        return len(response.content)

    print(f"{connection.vendor}: {contact_model._default_manager.count():,} contacts; median of {options.repeat}")
    print(f"{'page':32} {'app':>9} {'reference':>10} {'ratio':>6} {'of it SQL':>10} {'queries':>8}")
    sample = contact_model._default_manager.get(pk=500_121)
    other_tag = Tag.objects.get(name="Newsletter")
    for label, params, where, offset in cases(tag.pk, other_tag.pk, big, sample, connection.vendor):
        if options.only and options.only not in label:
            continue
        reference = REFERENCE.format(where=where.format(**tables), offset=offset, **tables)
        sql_ms = []
        for _ in range(options.repeat):
            with recording(connection) as queries:
                request(changelist, params)
            sql_ms.append(sum(ms for _sql, _params, ms in queries))
        app_ms = million.median_ms(lambda params=params: request(changelist, params), options.repeat)
        reference_ms = million.median_ms(lambda sql=reference: million.run_sql(sql), options.repeat)
        print(
            f"{label:32} {app_ms:7.1f} ms {reference_ms:7.1f} ms {app_ms / reference_ms:5.1f}x "
            f"{statistics.median(sql_ms):7.1f} ms {len(queries):8}"
        )
        if options.explain:
            for sql, sql_params, _ms in queries:
                if opts.db_table in sql and sql.lstrip().upper().startswith("SELECT"):
                    print(f"\n  {sql}\n" + million.explain(sql, sql_params))
            print()
    for label, url in (("customer admin page (big)", customer_page), ("customer pages list (big)", customer_list)):
        if options.only and options.only not in label:
            continue
        with recording(connection) as queries:
            request(url, {})
        app_ms = million.median_ms(lambda url=url: request(url, {}), options.repeat)
        print(f"{label:32} {app_ms:7.1f} ms {'':>10} {'':>6} {len(queries):8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
