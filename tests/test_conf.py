from django.test import override_settings

from django_customer_contacts.conf import app_settings


def test_defaults_match_the_documented_ones():
    with override_settings(CUSTOMER_CONTACTS={}):
        assert app_settings.auto_primary is True
        assert app_settings.email_unique == "customer"
        assert app_settings.email_editable is True
        assert app_settings.unused_after_days == 182
        assert app_settings.unused_review_threshold == 30
        assert app_settings.sms_enabled is True
        assert app_settings.primary_contact_allowed(object()) is True


def test_options_are_read_when_used_so_override_settings_applies():
    with override_settings(CUSTOMER_CONTACTS={"UNUSED_AFTER_DAYS": 7, "EMAIL_UNIQUE": None}):
        assert app_settings.unused_after_days == 7
        assert app_settings.email_unique is None
    assert app_settings.unused_after_days == 182


def test_primary_contact_allowed_accepts_a_dotted_path():
    from tests.rules import business_only

    with override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "tests.rules.business_only"}):
        assert app_settings.primary_contact_allowed is business_only
