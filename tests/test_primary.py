"""One primary contact per customer: the database, the service, deletion."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import PrimaryContactError
from django_customer_contacts.services import set_primary_contact
from django_customer_contacts.signals import primary_contact_changed


@pytest.fixture
def signals():
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    primary_contact_changed.connect(receiver)
    yield received
    primary_contact_changed.disconnect(receiver)


def primaries(customer):
    return list(get_contact_model().objects.filter(customer=customer, is_primary=True))


# -- the database refuses a second primary ------------------------------------------


def test_raw_update_to_a_second_primary_contact_is_refused_by_the_database(customer, make_contact):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    table = connection.ops.quote_name(get_contact_model()._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET is_primary = %s WHERE id = %s", [True, bob.pk])
    assert [c.first_name for c in primaries(customer)] == ["Ann"]


def test_queryset_update_to_two_primaries_is_refused(customer, make_contact):
    make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    with pytest.raises(IntegrityError), transaction.atomic():
        get_contact_model().objects.filter(customer=customer).update(is_primary=True)


def test_raw_update_making_an_inactive_primary_is_refused(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    assert ann.is_primary
    with pytest.raises(IntegrityError), transaction.atomic():
        get_contact_model().objects.filter(pk=ann.pk).update(is_active=False)


def test_each_customer_has_its_own_primary(make_customer, make_contact):
    first, second = make_customer(), make_customer()
    assert make_contact(first).is_primary
    assert make_contact(second).is_primary


# -- AUTO_PRIMARY ----------------------------------------------------------------------------


def test_first_contact_of_a_customer_becomes_primary(customer, make_contact, signals):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    assert ann.is_primary and not bob.is_primary
    assert primaries(customer) == [ann]
    assert len(signals) == 1
    assert signals[0]["contact"] == ann and signals[0]["previous"] is None


@override_settings(CUSTOMER_CONTACTS={"AUTO_PRIMARY": False})
def test_no_automatic_primary_when_auto_primary_is_off(customer, make_contact):
    make_contact(customer)
    assert primaries(customer) == []


def test_inactive_or_one_time_first_contact_does_not_become_primary(customer, make_contact):
    from django.contrib.contenttypes.models import ContentType

    make_contact(customer, first_name="Gone", is_active=False)
    make_contact(
        customer,
        first_name="Temp",
        scope_content_type=ContentType.objects.get_for_model(type(customer)),
        scope_object_id=str(customer.pk),
    )
    assert primaries(customer) == []
    assert make_contact(customer, first_name="Real").is_primary


@override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "tests.rules.private_only"})
def test_auto_primary_respects_primary_contact_allowed(make_customer, make_contact):
    business = make_customer(is_business=True)
    assert not make_contact(business).is_primary
    private = make_customer(is_business=False)
    assert make_contact(private).is_primary


# -- set_primary_contact ---------------------------------------------------------------------


def test_set_primary_contact_moves_the_flag(customer, make_contact, signals):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    signals.clear()
    result = set_primary_contact(bob)
    assert result == bob and bob.is_primary
    assert primaries(customer) == [bob]
    assert len(signals) == 1
    sent = signals[0]
    assert sent["sender"] is get_contact_model()
    assert sent["previous"] == ann and sent["contact"] == bob and sent["customer"] == customer
    assert sent["user"] is None


def test_set_primary_on_the_current_primary_changes_nothing_and_sends_nothing(customer, make_contact, signals):
    ann = make_contact(customer)
    signals.clear()
    set_primary_contact(ann)
    assert primaries(customer) == [ann]
    assert signals == []


def test_set_primary_passes_the_user_to_the_signal_and_history(customer, make_contact, signals, django_user_model):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    staff = django_user_model.objects.create_user("staff")
    set_primary_contact(bob, user=staff)
    assert signals[-1]["user"] == staff
    assert bob.history.latest().history_user == staff


def test_set_primary_records_both_contacts_in_history_with_the_user(customer, make_contact, django_user_model):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    staff = django_user_model.objects.create_user("staff")
    set_primary_contact(bob, user=staff)
    demoted, promoted = ann.history.latest(), bob.history.latest()
    assert (demoted.history_type, demoted.is_primary, demoted.history_user) == ("~", False, staff)
    assert (promoted.history_type, promoted.is_primary, promoted.history_user) == ("~", True, staff)
    assert demoted.history_date == promoted.history_date
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert ann.modified == bob.modified == promoted.history_date


def test_set_primary_on_a_contact_moved_to_another_customer_meanwhile(make_customer, make_contact, signals):
    first, second = make_customer(), make_customer()
    make_contact(first, first_name="Ann")
    bob = make_contact(first, first_name="Bob")
    cat = make_contact(second, first_name="Cat")
    get_contact_model().objects.filter(pk=bob.pk).update(customer=second)  # bob in memory: still of first
    signals.clear()
    set_primary_contact(bob)
    assert primaries(second) == [bob]
    assert signals[0]["customer"] == second and signals[0]["previous"] == cat


def test_set_primary_contact_takes_four_statements(make_customer, make_contact):
    """Lock the customer; lock and read the contact and the old primary; demote and
    promote (one statement, or one batch of two); both history rows (one batch). The
    same for a customer with 3 or 30 contacts."""
    counts = []
    for size in (3, 30):
        customer = make_customer()
        contacts = [make_contact(customer, first_name=f"C{i}") for i in range(size)]
        with CaptureQueriesContext(connection) as queries:
            set_primary_contact(contacts[-1])
        # A test runs in a transaction: the service's atomic() is a savepoint there.
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
        counts.append(len(statements))
        # A batch (``executemany``) is recorded once, as "<n> times: <sql>".
        assert [sql.split(": ", 1)[-1].split()[0] for sql in statements] == ["SELECT", "SELECT", "UPDATE", "INSERT"]
    assert counts == [4, 4]


def test_set_primary_contact_when_the_customer_has_none(customer, make_contact):
    with override_settings(CUSTOMER_CONTACTS={"AUTO_PRIMARY": False}):
        ann = make_contact(customer)
    set_primary_contact(ann)
    assert primaries(customer) == [ann]


def _assert_refused(customer, contact, message):
    before = list(get_contact_model().objects.filter(customer=customer).values_list("pk", "is_primary"))
    with pytest.raises(PrimaryContactError) as excinfo:
        set_primary_contact(contact)
    assert message in str(excinfo.value)
    after = list(get_contact_model().objects.filter(customer=customer).values_list("pk", "is_primary"))
    assert after == before


def test_inactive_contact_cannot_become_primary(customer, make_contact, signals):
    make_contact(customer, first_name="Ann")
    gone = make_contact(customer, first_name="Gone", is_active=False)
    signals.clear()
    _assert_refused(customer, gone, "inactive")
    assert signals == []


def test_one_time_contact_cannot_become_primary(customer, make_contact):
    from django.contrib.contenttypes.models import ContentType

    make_contact(customer, first_name="Ann")
    temp = make_contact(
        customer,
        first_name="Temp",
        scope_content_type=ContentType.objects.get_for_model(type(customer)),
        scope_object_id=str(customer.pk),
    )
    _assert_refused(customer, temp, "one-time")


@override_settings(CUSTOMER_CONTACTS={"PRIMARY_CONTACT_ALLOWED": "tests.rules.private_only"})
def test_primary_contact_allowed_can_refuse(make_customer, make_contact):
    business = make_customer(is_business=True)
    contact = make_contact(business)
    _assert_refused(business, contact, "can't have a primary contact")


def test_saving_an_inactive_primary_raises_the_apps_error(customer, make_contact):
    ann = make_contact(customer)
    ann.is_active = False
    with pytest.raises(PrimaryContactError):
        ann.save()
    ann.refresh_from_db()
    assert ann.is_active


def test_clean_explains_an_inactive_primary(customer, make_contact):
    from django.core.exceptions import ValidationError

    ann = make_contact(customer)
    ann.is_active = False
    with pytest.raises(ValidationError) as excinfo:
        ann.full_clean()
    assert "is_active" in excinfo.value.message_dict


# -- deleting the primary ----------------------------------------------------------------


def test_primary_cannot_be_deleted_while_others_exist(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    with pytest.raises(PrimaryContactError) as excinfo:
        ann.delete()
    assert "Make another contact primary" in str(excinfo.value)
    assert get_contact_model().objects.filter(customer=customer).count() == 2


def test_primary_cannot_be_deleted_through_a_queryset_while_others_exist(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    with pytest.raises(PrimaryContactError):
        get_contact_model().objects.filter(pk=ann.pk).delete()
    assert get_contact_model().objects.filter(customer=customer).count() == 2


def test_queryset_deleting_every_contact_of_the_customer_is_allowed(customer, make_contact):
    make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Bob")
    get_contact_model().objects.filter(customer=customer).delete()
    assert not get_contact_model().objects.filter(customer=customer).exists()


def test_only_contact_can_be_deleted_even_if_primary(customer, make_contact):
    ann = make_contact(customer)
    ann.delete()
    assert not get_contact_model().objects.exists()


def test_primary_can_be_deleted_when_the_others_are_inactive(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    make_contact(customer, first_name="Gone", is_active=False)
    ann.delete()
    assert [c.first_name for c in get_contact_model().objects.all()] == ["Gone"]


def test_non_primary_contacts_delete_freely(customer, make_contact):
    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    bob.delete()
    assert get_contact_model().objects.count() == 1


def test_deleting_the_customer_cascades_past_the_primary(customer, make_contact):
    make_contact(customer, first_name="Ann").add_email("ann@example.com")
    make_contact(customer, first_name="Bob")
    customer.delete()
    assert not get_contact_model().objects.exists()


def test_after_switching_the_old_primary_can_be_deleted(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    set_primary_contact(bob)
    ann.refresh_from_db()
    ann.delete()
    assert primaries(customer) == [bob]


def test_a_stale_instance_of_the_primary_still_cannot_be_deleted(customer, make_contact):
    ann = make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    stale_bob = get_contact_model().objects.get(pk=bob.pk)  # loaded while not primary
    set_primary_contact(bob)
    with pytest.raises(PrimaryContactError):
        stale_bob.delete()
    ann.delete()  # in memory still "primary", but it no longer is: allowed
    assert primaries(customer) == [bob]


def test_set_primary_without_a_user_keeps_the_requests_user_in_history(customer, make_contact, rf, admin_user):
    from simple_history.models import HistoricalRecords

    make_contact(customer, first_name="Ann")
    bob = make_contact(customer, first_name="Bob")
    request = rf.post("/")
    request.user = admin_user
    HistoricalRecords.context.request = request
    try:
        set_primary_contact(bob)
        bob.job_title = "Buyer"
        bob.save()
    finally:
        del HistoricalRecords.context.request
    assert [h.history_user for h in bob.history.order_by("-history_id")[:2]] == [admin_user, admin_user]
