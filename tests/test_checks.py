"""Every system check id has a test here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.checks import check_contact_model, check_customer_model, check_options


def ids(messages):
    return [message.id for message in messages]


def test_valid_configuration_passes_all_checks(db):
    assert [m for m in run_checks() if m.id and m.id.startswith("customer_contacts.")] == []


@override_settings()
def test_missing_customer_model_is_e001():
    from django.conf import settings

    del settings.CUSTOMER_CONTACTS_CUSTOMER_MODEL
    errors = check_customer_model()
    assert ids(errors) == ["customer_contacts.E001"]
    assert "is not set" in errors[0].msg


def manage_py_check(**env):
    """``manage.py check`` of a host whose settings lack the customer model, with the admin installed."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_no_customer",
        # The scenario under test: the default contact model, or a host's own.
        "CUSTOMER_CONTACTS_TEST_BASE_SETTINGS": settings.SETTINGS_MODULE,
        "PYTHONPATH": str(root),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "check"], env=env, cwd=root, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("label", "message"), [("", "is not set"), ("crm.Nope", "'crm.Nope', which is not an installed model")]
)
def test_manage_py_check_explains_a_missing_customer_model_without_a_traceback(label, message):
    result = manage_py_check(CUSTOMER_CONTACTS_TEST_CUSTOMER_MODEL=label)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "customer_contacts.E001" in result.stderr, result.stderr
    assert message in result.stderr
    assert "HINT: Name your customer model in settings" in result.stderr or "HINT: Use the form" in result.stderr


@pytest.mark.parametrize("label", ["nope", "crm.Nope", "nope.Customer", "a.b.c"])
def test_wrong_customer_model_is_e001(label):
    with override_settings(CUSTOMER_CONTACTS_CUSTOMER_MODEL=label):
        errors = check_customer_model()
    assert ids(errors) == ["customer_contacts.E001"]
    assert label in errors[0].msg


@pytest.mark.parametrize("label", ["nope", "customer_contacts.Nope"])
def test_unknown_contact_model_is_e002(label):
    with override_settings(CUSTOMER_CONTACTS_CONTACT_MODEL=label):
        assert ids(check_contact_model()) == ["customer_contacts.E002"]


def test_contact_model_not_subclassing_abstract_contact_is_e002():
    with override_settings(CUSTOMER_CONTACTS_CONTACT_MODEL="auth.User"):
        errors = check_contact_model()
    assert ids(errors) == ["customer_contacts.E002"]
    assert "AbstractContact" in errors[0].msg


def test_contact_model_without_the_primary_constraint_is_e003(monkeypatch):
    model = get_contact_model()
    kept = [c for c in model._meta.constraints if "primary_marker" not in getattr(c, "fields", ())]
    monkeypatch.setattr(model._meta, "constraints", kept)
    assert ids(check_contact_model()) == ["customer_contacts.E003"]


@pytest.mark.parametrize("value", [["AUTO_PRIMARY"], "AUTO_PRIMARY=True"])
def test_options_that_are_not_a_dict_are_e004(value):
    with override_settings(CUSTOMER_CONTACTS=value):
        assert ids(check_options()) == ["customer_contacts.E004"]


def test_unknown_option_key_is_e004():
    with override_settings(CUSTOMER_CONTACTS={"AUTO_PRIMARY": True, "EMAIL_UNIQE": "global"}):
        errors = check_options()
    assert ids(errors) == ["customer_contacts.E004"]
    assert "EMAIL_UNIQE" in errors[0].msg


@pytest.mark.parametrize(
    "path", ["no.such.module.allowed", "django_customer_contacts.conf.no_such_function", "not a path"]
)
def test_unimportable_primary_contact_allowed_is_e005(path):
    with override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": path}):
        assert ids(check_options()) == ["customer_contacts.E005"]


def test_primary_contact_allowed_that_is_not_callable_is_e005():
    with override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "django_customer_contacts.conf.DEFAULTS"}):
        assert ids(check_options()) == ["customer_contacts.E005"]


def test_importable_primary_contact_allowed_passes():
    with override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "tests.rules.business_only"}):
        assert check_options() == []


@pytest.mark.parametrize("value", ["everywhere", "Customer", True])
def test_invalid_email_unique_is_e006(value):
    with override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": value}):
        assert ids(check_options()) == ["customer_contacts.E006"]


@pytest.mark.parametrize("value", ["customer", "global", None])
def test_valid_email_unique_passes(value):
    with override_settings(CUSTOMER_CONTACTS={"EMAIL_UNIQUE": value}):
        assert check_options() == []


@pytest.mark.parametrize("name", ["AUTO_PRIMARY", "EMAIL_EDITABLE", "SMS_ENABLED"])
def test_non_boolean_switch_is_e007(name):
    with override_settings(CUSTOMER_CONTACTS={name: "no"}):
        assert ids(check_options()) == ["customer_contacts.E007"]


@pytest.mark.parametrize("value", [0, -5, "30", 1.5, True])
@pytest.mark.parametrize("name", ["UNUSED_AFTER_DAYS", "UNUSED_REVIEW_THRESHOLD"])
def test_counts_that_are_not_positive_whole_numbers_are_e008(name, value):
    with override_settings(CUSTOMER_CONTACTS={name: value}):
        assert ids(check_options()) == ["customer_contacts.E008"]


@pytest.mark.parametrize("value", ["fuzzy", "EXACT", None, True])
def test_unknown_duplicate_matching_is_e014(value):
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MATCHING": value}):
        assert ids(check_options()) == ["customer_contacts.E014"]


@pytest.mark.parametrize("value", ["scored", "exact"])
def test_valid_duplicate_matching_passes(value):
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MATCHING": value}):
        assert check_options() == []


@pytest.mark.parametrize("value", [0, -0.1, 1.5, "0.5", True, None])
def test_duplicate_min_score_outside_zero_to_one_is_e015(value):
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MIN_SCORE": value}):
        assert ids(check_options()) == ["customer_contacts.E015"]


@pytest.mark.parametrize("value", [0.3, 0.5, 1])
def test_valid_duplicate_min_score_passes(value):
    with override_settings(CUSTOMER_CONTACTS={"DUPLICATE_MIN_SCORE": value}):
        assert check_options() == []
