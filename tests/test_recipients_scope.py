"""One-time contacts are reached while their scope (a case) is open, and not after.

The host says when a scope is over: its model's ``customer_contacts_open()``, or the
``SCOPE_OPEN`` option; either answers with a bool or with a filter on the scope's model.
"""

import pytest
from django.apps import apps
from django.db.models import Q
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.checks import check_options
from tests.conftest import SWAPPED

Case = apps.get_model("swapcrm" if SWAPPED else "hostapp", "Case")


@pytest.fixture
def regular(customer, make_contact):
    contact = make_contact(customer, first_name="Regular")
    contact.add_email("regular@example.com")
    return contact


@pytest.fixture
def case(db):
    return Case.objects.create(title="Printer on fire")


@pytest.fixture
def reporter(customer, case):
    reporter = get_contact_model().objects.create(customer=customer, first_name="Sam", last_name="Reporter", scope=case)
    reporter.add_email("sam@example.com")
    return reporter


@pytest.fixture
def open_as_filter(monkeypatch):
    monkeypatch.setattr(Case, "open_as_filter", True)


def reached(customer, scope, **kwargs):
    return set(
        get_contact_model().objects.recipients(customer, scope=scope, **kwargs).values_list("first_name", flat=True)
    )


def close(case):
    case.closed_at = timezone.now()
    case.save()


def test_an_open_case_reaches_its_one_time_contact(customer, regular, reporter, case):
    assert reached(customer, case) == {"Regular", "Sam"}


def test_a_closed_case_no_longer_reaches_its_one_time_contact(customer, regular, reporter, case):
    close(case)
    assert reached(customer, case) == {"Regular"}


@pytest.mark.parametrize("channel", ["email", "phone"])
def test_a_closed_case_reaches_the_customers_regular_contacts_on_every_channel(
    customer, regular, reporter, case, channel
):
    regular.add_phone("+442079460018", kind="work")
    reporter.add_phone("+442079460019", kind="work")
    close(case)
    assert reached(customer, case, channel=channel) == {"Regular"}


def test_a_method_answering_with_a_filter_is_read_from_the_database_in_the_same_query(
    customer, regular, reporter, case, open_as_filter, django_assert_num_queries
):
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())  # the instance in hand is stale
    with django_assert_num_queries(1):
        assert reached(customer, case) == {"Regular"}
    Case.objects.filter(pk=case.pk).update(closed_at=None)
    with django_assert_num_queries(1):
        assert reached(customer, case) == {"Regular", "Sam"}


def test_a_method_answering_with_a_bool_costs_no_query(customer, regular, reporter, case, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert reached(customer, case) == {"Regular", "Sam"}


@pytest.mark.parametrize("option", ["tests.rules.case_is_open", "tests.rules.case_open_filter"])
def test_the_scope_open_option_decides_for_every_scope(customer, regular, reporter, case, option):
    with override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": option}):
        assert reached(customer, case) == {"Regular", "Sam"}
        close(case)
        assert reached(customer, case) == {"Regular"}


def test_the_option_wins_over_the_scopes_method(customer, regular, reporter, case):
    close(case)
    with override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": lambda scope: True}):
        assert reached(customer, case) == {"Regular", "Sam"}


def test_a_scope_that_says_nothing_is_open(customer, regular, make_contact):
    from django_customer_contacts.models import Tag

    tag = Tag.objects.create(name="Case 4711")
    one_time = get_contact_model().objects.create(customer=customer, first_name="Tess", scope=tag)
    one_time.add_email("tess@example.com")
    assert reached(customer, tag) == {"Regular", "Tess"}


def test_a_hook_that_answers_neither_bool_nor_filter_is_a_clear_error(customer, case):
    forgetful = override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": "tests.rules.scope_open_by_mistake"})
    with forgetful, pytest.raises(TypeError, match="SCOPE_OPEN must return True, False or a Q"):
        reached(customer, case)


def test_the_other_filters_still_apply_to_an_open_scopes_one_time_contact(customer, reporter, case):
    reporter.email_allowed = False
    reporter.save()
    assert reached(customer, case) == set()


# -- the template tag -------------------------------------------------------------------


def render_recipients(customer, case):
    template = Template(
        "{% load customer_contacts %}{% contact_recipients customer scope=case as people %}"
        "{% for p in people %}{{ p.first_name }};{% endfor %}"
    )
    return template.render(Context({"customer": customer, "case": case}))


def test_the_template_tag_reaches_one_time_contacts_while_the_case_is_open(customer, regular, reporter, case):
    assert sorted(render_recipients(customer, case).strip(";").split(";")) == ["Regular", "Sam"]
    close(case)
    assert render_recipients(customer, case) == "Regular;"


def test_the_template_tag_with_a_filter_hook_is_one_query(
    customer, regular, reporter, case, open_as_filter, django_assert_num_queries
):
    close(case)
    with django_assert_num_queries(1):
        assert render_recipients(customer, case) == "Regular;"


# -- customer_contacts.E010 -------------------------------------------------------------


@pytest.mark.parametrize("value", ["no.such.module.open", "tests.rules.no_such_function", "not a path", 42])
def test_a_scope_open_option_that_cant_be_imported_is_e010(value):
    with override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": value}):
        assert [error.id for error in check_options()] == ["customer_contacts.E010"]


def test_a_scope_open_option_that_is_not_callable_is_e010():
    with override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": "django_customer_contacts.conf.DEFAULTS"}):
        assert [error.id for error in check_options()] == ["customer_contacts.E010"]


@pytest.mark.parametrize("value", [None, "tests.rules.case_is_open", lambda scope: Q()])
def test_a_valid_scope_open_option_passes(value):
    with override_settings(CUSTOMER_CONTACTS={"SCOPE_OPEN": value}):
        assert check_options() == []
