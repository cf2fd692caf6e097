"""The ``customer_contacts`` template tag library."""

import pytest
from django.template import Context, Template

from django_customer_contacts import get_contact_model, get_customer_model
from django_customer_contacts.models import ContactEmail, NotificationCategory
from django_customer_contacts.querysets import prefetch_primary_contacts


def render(source, **context):
    return Template("{% load customer_contacts %}" + source).render(Context(context))


@pytest.fixture
def jane(contact):
    contact.title = "dr"
    contact.job_title = "Buyer"
    contact.save()
    contact.add_email("jane@example.com")
    contact.add_email("jane+home@example.com", kind="personal")
    contact.add_phone("07911 123456")
    return contact


@pytest.fixture
def villain(customer, make_contact):
    return make_contact(customer, first_name="<script>alert(1)</script>", last_name='"Smith" & Sons')


# -- primary_contact ------------------------------------------------------------------


def test_primary_contact(customer, contact, make_contact):
    make_contact(customer, first_name="Bob")
    assert render("{% primary_contact customer as c %}{{ c }}", customer=customer) == "Jane Smith"


def test_primary_contact_of_a_customer_without_contacts_is_nothing(customer):
    assert render("{% primary_contact customer as c %}[{{ c|default:'none' }}]", customer=customer) == "[none]"


def test_primary_contact_in_a_loop_costs_no_query_per_customer(make_customer, make_contact, django_assert_num_queries):
    for index in range(10):
        customer = make_customer()
        make_contact(customer, first_name=f"Boss{index}")
        make_contact(customer, first_name=f"Other{index}")
    make_customer()  # one without contacts
    template = Template(
        "{% load customer_contacts %}{% for customer in customers %}"
        "{% primary_contact customer as c %}{{ c.first_name|default:'-' }};{% endfor %}"
    )
    customers = prefetch_primary_contacts(get_customer_model().objects.order_by("name"))
    # One query for the customers, one for all their primary contacts.
    with django_assert_num_queries(2):
        html = template.render(Context({"customers": customers}))
    assert sorted(html.split(";")[:-1]) == sorted([f"Boss{index}" for index in range(10)] + ["-"])


def test_prefetch_primary_contacts_fills_a_list_in_place(make_customer, make_contact, django_assert_num_queries):
    customers = [make_customer() for _ in range(3)]
    for customer in customers:
        make_contact(customer)
    customers = list(get_customer_model().objects.filter(pk__in=[c.pk for c in customers]))
    with django_assert_num_queries(1):
        prefetch_primary_contacts(customers)
    with django_assert_num_queries(0):
        html = render(
            "{% for customer in customers %}{% primary_contact customer as c %}{{ c }};{% endfor %}",
            customers=customers,
        )
    assert html == "Jane Smith;" * 3


def test_primary_contact_uses_prefetched_contacts(customer, contact, make_contact, django_assert_num_queries):
    make_contact(customer, first_name="Bob")
    customer = get_customer_model().objects.prefetch_related("contacts").get(pk=customer.pk)
    with django_assert_num_queries(0):
        assert render("{% primary_contact customer as c %}{{ c }}", customer=customer) == "Jane Smith"


# -- display_name, tel_link, mailto_link ------------------------------------------------


def test_display_name(jane):
    assert render("{{ contact|display_name }}", contact=jane) == "Dr Jane Smith"


def test_display_name_is_escaped(villain):
    html = render("{{ contact|display_name }}", contact=villain)
    assert "<script>" not in html
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Smith&quot; &amp; Sons"


def test_tel_link(jane):
    expected = '<a href="tel:+447911123456">+44 7911 123456</a>'
    assert render("{{ phone|tel_link }}", phone=jane.phone) == expected
    assert render("{{ phone|tel_link }}", phone=jane.phones.get()) == expected
    assert render("{{ phone|tel_link }}", phone="07911 123456") == expected


def test_tel_link_leaves_an_invalid_number_unlinked_and_escaped():
    assert render("{{ phone|tel_link }}", phone="<b>12</b>") == "&lt;b&gt;12&lt;/b&gt;"
    assert render("{{ phone|tel_link }}", phone=None) == ""


def test_mailto_link(jane):
    expected = '<a href="mailto:jane@example.com">jane@example.com</a>'
    assert render("{{ address|mailto_link }}", address="jane@example.com") == expected
    assert render("{{ address|mailto_link }}", address=jane.emails.get(is_primary=True)) == expected
    assert render("{{ address|mailto_link }}", address="") == ""


def test_mailto_link_is_escaped():
    html = render("{{ address|mailto_link }}", address='"><script>x</script>@example.com')
    assert "<script>" not in html
    assert 'href="mailto:%22%3E%3Cscript%3Ex%3C%2Fscript%3E@example.com"' in html


# -- contact_card ---------------------------------------------------------------------


def test_contact_card_is_an_hcard(jane):
    html = render("{% contact_card contact %}", contact=jane)
    assert 'class="vcard h-card contact-card"' in html
    assert '<span class="fn p-name">Dr Jane Smith</span>' in html
    assert '<span class="title p-job-title">Buyer</span>' in html
    assert '<span class="org p-org">Acme Ltd</span>' in html
    assert '<a class="email u-email" href="mailto:jane@example.com">jane@example.com</a>' in html
    assert '<a class="email u-email" href="mailto:jane+home@example.com">jane+home@example.com</a>' in html
    assert '<a class="tel p-tel" href="tel:+447911123456">+44 7911 123456</a>' in html


def test_contact_card_escapes_everything(villain, make_customer):
    villain.customer = make_customer(name="<b>Evil</b> Corp")
    villain.job_title = "<img src=x onerror=alert(1)>"
    html = render("{% contact_card contact %}", contact=villain)
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Evil&lt;/b&gt; Corp" in html


def test_contact_card_of_nothing_is_empty():
    assert render("{% contact_card contact %}", contact=None).strip() == ""


# -- contact_recipients ---------------------------------------------------------------


def test_contact_recipients(customer, jane, make_contact):
    billing_only = make_contact(customer, first_name="Bill", receive_all_notifications=False)
    billing_only.add_email("bill@example.com")
    billing_only.notification_categories.add(NotificationCategory.objects.get(code="billing"))
    helpdesk_only = make_contact(customer, first_name="Helen", receive_all_notifications=False)
    helpdesk_only.add_email("helen@example.com")
    helpdesk_only.notification_categories.add(NotificationCategory.objects.get(code="helpdesk"))
    html = render(
        '{% contact_recipients customer category="billing" as people %}'
        "{% for p in people %}{{ p.first_name }} <{{ p.recipient_address }}>;{% endfor %}",
        customer=customer,
    )
    assert html == "Jane <jane@example.com>;Bill <bill@example.com>;"  # the primary first


def test_contact_recipients_takes_the_other_keywords(customer, jane):
    html = render(
        '{% contact_recipients customer channel="sms" as people %}{{ people|length }}'
        "{% contact_recipients customer marketing=True as people %}{{ people|length }}",
        customer=customer,
    )
    assert html == "10"


def test_contact_recipients_is_one_query(customer, jane, django_assert_num_queries):
    template = Template(
        "{% load customer_contacts %}{% contact_recipients customer as people %}"
        "{% for p in people %}{{ p|display_name }} {{ p.recipient_address|mailto_link }}{% endfor %}"
    )
    with django_assert_num_queries(1):
        html = template.render(Context({"customer": customer}))
    assert 'href="mailto:jane@example.com"' in html


def test_nothing_is_marked_safe_that_came_from_the_database(villain):
    ContactEmail.objects.filter(contact=villain).delete()
    html = render("{% contact_card c %}{{ c|display_name }}", c=villain)
    assert html.count("&lt;script&gt;") == 2
    assert get_contact_model().objects.filter(pk=villain.pk).exists()
