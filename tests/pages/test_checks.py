"""System checks of the customer pages' options: E011 (CUSTOMER_ACCESS), E012
(ONE_TIME_SCOPE), E013 (BASE_TEMPLATE)."""

import pytest
from django.test import override_settings

from django_customer_contacts.checks import check_options


def ids(messages):
    return [message.id for message in messages]


@pytest.mark.parametrize(
    "value", ["no.such.module.access", "tests.pages.hooks.no_such_function", "not a path", "tests.pages.hooks.apps"]
)
def test_customer_access_that_cant_be_imported_or_called_is_e011(value):
    with override_settings(CUSTOMER_CONTACTS={"CUSTOMER_ACCESS": value}):
        errors = check_options()
    assert ids(errors) == ["customer_contacts.E011"]
    assert "CUSTOMER_ACCESS" in errors[0].msg


def test_customer_access_as_a_path_or_a_callable_passes():
    from tests.pages.hooks import own_customers_only

    for value in ("tests.pages.hooks.own_customers_only", own_customers_only, None):
        with override_settings(CUSTOMER_CONTACTS={"CUSTOMER_ACCESS": value}):
            assert check_options() == []


@pytest.mark.parametrize("value", ["no.such.module.scope", "tests.pages.hooks.CASES"])
def test_one_time_scope_that_cant_be_imported_is_e012(value):
    with override_settings(CUSTOMER_CONTACTS={"ONE_TIME_SCOPE": value}):
        assert ids(check_options()) == ["customer_contacts.E012"]


def test_one_time_scope_as_a_path_passes():
    with override_settings(CUSTOMER_CONTACTS={"ONE_TIME_SCOPE": "tests.pages.hooks.case_by_pk"}):
        assert check_options() == []


@pytest.mark.parametrize("value", ["", "   ", None, 42, "no/such/template.html"])
def test_base_template_that_is_not_a_template_is_e013(value):
    with override_settings(CUSTOMER_CONTACTS={"BASE_TEMPLATE": value}):
        errors = check_options()
    assert ids(errors) == ["customer_contacts.E013"]


def test_an_existing_base_template_passes():
    with override_settings(CUSTOMER_CONTACTS={"BASE_TEMPLATE": "customer_contacts/base.html"}):
        assert check_options() == []
