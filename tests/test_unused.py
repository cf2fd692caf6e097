"""Unused contacts: recording communication, finding who nobody reaches, the review and pruning."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import ContactError
from django_customer_contacts.services import needs_unused_review, record_communication, unused_review_count


def age(contact, *, days, contacted_days_ago=None):
    """Pretend ``contact`` was created ``days`` ago (and last contacted as given)."""
    now = timezone.now()
    values = {"created": now - timedelta(days=days)}
    if contacted_days_ago is not None:
        values["last_contacted_at"] = now - timedelta(days=contacted_days_ago)
    get_contact_model().objects.filter(pk=contact.pk).update(**values)
    contact.refresh_from_db()
    return contact


@pytest.fixture
def primary(contact):
    return age(contact, days=400)


# -- record_communication -------------------------------------------------------------


def test_record_communication_sets_last_contacted_at(contact):
    before = timezone.now()
    record_communication(contact, channel="email")
    assert before <= contact.last_contacted_at <= timezone.now()
    contact.refresh_from_db()
    assert before <= contact.last_contacted_at <= timezone.now()


def test_record_communication_is_one_query_and_writes_no_history(contact, django_assert_num_queries):
    history_rows = contact.history.count()
    modified = contact.modified
    with django_assert_num_queries(1):
        record_communication(contact, channel="sms")
    contact.refresh_from_db()
    assert contact.history.count() == history_rows
    assert contact.modified == modified


def test_record_communication_takes_a_time(contact):
    when = timezone.now() - timedelta(days=3)
    record_communication(contact, channel="phone", when=when)
    contact.refresh_from_db()
    assert contact.last_contacted_at == when


def test_an_older_communication_never_moves_the_date_back(contact):
    recent = timezone.now() - timedelta(days=1)
    record_communication(contact, channel="email", when=recent)
    record_communication(contact, channel="letter", when=recent - timedelta(days=30))
    contact.refresh_from_db()
    assert contact.last_contacted_at == recent


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "pigeon"}, "Unknown channel"),
        ({"channel": "email", "when": "yesterday"}, "date and time"),
        ({"channel": "email", "when": datetime(2024, 1, 1)}, "time-zone aware"),
    ],
)
def test_bad_input_to_record_communication_is_refused_and_nothing_changes(contact, kwargs, message):
    with pytest.raises(ValueError, match=message):
        record_communication(contact, **kwargs)
    contact.refresh_from_db()
    assert contact.last_contacted_at is None


def test_record_communication_needs_a_saved_contact(customer):
    with pytest.raises(ContactError, match="Save the contact"):
        record_communication(get_contact_model()(customer=customer, last_name="New"), channel="email")


def test_record_communication_refuses_a_deleted_contact(customer, primary, make_contact):
    gone = make_contact(customer, first_name="Gone")
    get_contact_model().objects.filter(pk=gone.pk).delete()
    with pytest.raises(ContactError, match="no longer exists"):
        record_communication(gone, channel="email")


# -- unused() --------------------------------------------------------------------------


def test_a_contact_nobody_reached_for_half_a_year_is_unused(customer, primary, make_contact):
    old = age(make_contact(customer, first_name="Old"), days=200)
    age(make_contact(customer, first_name="New"), days=10)
    assert list(get_contact_model().objects.unused()) == [old]


def test_a_recent_communication_makes_a_contact_used(customer, primary, make_contact):
    old = age(make_contact(customer, first_name="Old"), days=200)
    record_communication(old, channel="email")
    assert list(get_contact_model().objects.unused()) == []


def test_a_communication_long_ago_does_not(customer, primary, make_contact):
    old = age(make_contact(customer, first_name="Old"), days=400, contacted_days_ago=300)
    assert list(get_contact_model().objects.unused()) == [old]


def test_the_primary_contact_and_inactive_contacts_are_never_unused(customer, primary, make_contact):
    age(make_contact(customer, first_name="Gone", is_active=False), days=400)
    assert primary.is_primary
    assert list(get_contact_model().objects.unused()) == []


def test_days_overrides_the_setting(customer, primary, make_contact):
    month_old = age(make_contact(customer, first_name="Month"), days=40)
    Contact = get_contact_model()
    assert list(Contact.objects.unused(days=30)) == [month_old]
    assert list(Contact.objects.unused(days=60)) == []
    with override_settings(CUSTOMER_CONTACTS={"UNUSED_AFTER_DAYS": 30}):
        assert list(Contact.objects.unused()) == [month_old]


@pytest.mark.parametrize("days", [-1, "30", 1.5, True])
def test_bad_days_are_refused(days):
    with pytest.raises(ValueError, match="whole number"):
        get_contact_model().objects.unused(days)


# -- the review threshold --------------------------------------------------------------


@override_settings(CUSTOMER_CONTACTS={"UNUSED_REVIEW_THRESHOLD": 3})
def test_customers_with_many_unused_contacts_need_a_review(customer, primary, make_customer, make_contact):
    for index in range(3):
        age(make_contact(customer, first_name=f"Old{index}"), days=200)
    quiet = make_customer()
    age(make_contact(quiet, first_name="Primary"), days=200)  # the primary: never unused
    for index in range(2):
        age(make_contact(quiet, first_name=f"Old{index}"), days=200)

    review = list(get_contact_model().objects.unused_review())
    assert review == [{"customer": customer.pk, "unused": 3}]
    assert needs_unused_review(customer)
    assert not needs_unused_review(quiet)
    assert unused_review_count(quiet) == 2
    assert needs_unused_review(quiet, threshold=2)


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        get_contact_model().objects.unused_review(threshold=0)


# -- prune_unused_contacts -------------------------------------------------------------


def prune(*args):
    out, err = StringIO(), StringIO()
    call_command("prune_unused_contacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prune_dry_run_lists_and_deletes_nothing(customer, primary, make_contact):
    old = age(make_contact(customer, first_name="Old"), days=200)
    out, _err = prune("--dry-run")
    assert f"Would delete {old.pk}: Old Smith (Acme Ltd)" in out
    assert "Would delete 1 unused contact" in out
    assert get_contact_model().objects.filter(pk=old.pk).exists()


def test_prune_deletes_unused_contacts_but_never_the_primary(customer, primary, make_contact):
    old = age(make_contact(customer, first_name="Old"), days=200)
    recent = age(make_contact(customer, first_name="Recent"), days=10)
    out, _err = prune()
    assert "Deleted 1 unused contact." in out
    remaining = set(get_contact_model().objects.values_list("pk", flat=True))
    assert remaining == {primary.pk, recent.pk}
    assert old.pk not in remaining


def test_prune_days_option(customer, primary, make_contact):
    age(make_contact(customer, first_name="Month"), days=40)
    prune("--days", "60")
    assert get_contact_model().objects.count() == 2
    prune("--days", "30")
    assert get_contact_model().objects.count() == 1


def test_prune_refuses_negative_days(customer):
    with pytest.raises(CommandError, match="whole number"):
        prune("--days", "-5")


@override_settings(CUSTOMER_CONTACTS={"UNUSED_REVIEW_THRESHOLD": 2})
def test_prune_dry_run_names_customers_due_a_review(customer, primary, make_contact):
    for index in range(2):
        age(make_contact(customer, first_name=f"Old{index}"), days=200)
    out, _err = prune("--dry-run")
    assert "2 or more unused contacts to review" in out
    assert f"customer {customer.pk}: 2 unused" in out


def test_prune_keeps_contacts_other_records_protect(customer, primary, make_contact):
    from django.apps import apps

    if not apps.is_installed("tests.hostapp"):
        pytest.skip("the protecting host model lives in the default scenario's host app")
    from tests.hostapp.models import Invoice

    billed = age(make_contact(customer, first_name="Billed"), days=200)
    free = age(make_contact(customer, first_name="Free"), days=200)
    Invoice.objects.create(number="INV-1", billing_contact=billed)
    out, err = prune()
    assert "Deleted 1 unused contact." in out
    assert f"Kept {billed.pk}" in err
    assert get_contact_model().objects.filter(pk=billed.pk).exists()
    assert not get_contact_model().objects.filter(pk=free.pk).exists()


def test_prune_keeps_a_contact_whose_deletion_is_refused_and_goes_on(customer, primary, make_contact):
    # Any refusal of a deletion (here from a receiver, as a host's rule might) spares that contact only.
    from django.db.models import ProtectedError
    from django.db.models.signals import pre_delete

    kept = age(make_contact(customer, first_name="Kept"), days=200)
    gone = age(make_contact(customer, first_name="Gone"), days=200)

    def refuse(sender, instance, **kwargs):
        if instance.pk == kept.pk:
            raise ProtectedError("still needed", set())

    pre_delete.connect(refuse, sender=get_contact_model(), dispatch_uid="test-refuse")
    try:
        out, err = prune()
    finally:
        pre_delete.disconnect(dispatch_uid="test-refuse", sender=get_contact_model())
    assert "Deleted 1 unused contact." in out
    assert f"Kept {kept.pk}: Kept Smith (Acme Ltd): other records still refer to it." in err
    assert get_contact_model().objects.filter(pk=kept.pk).exists()
    assert not get_contact_model().objects.filter(pk=gone.pk).exists()
