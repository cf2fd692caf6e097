"""Merging keeps an opt-out where there is one, and only there.

A contact that never had a phone has ``phone_allowed`` and ``sms_allowed`` off because
nothing ever ticked them, not because the person said no. Such a "never applicable"
off must not switch the channel off on the contact a merge keeps.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from django_customer_contacts import get_contact_model
from django_customer_contacts.merging import plan_merge
from django_customer_contacts.models import ContactEmail, ContactPhone
from django_customer_contacts.services import merge_contacts
from tests.admin_helpers import url

CHANNELS = ["email_allowed", "phone_allowed", "sms_allowed"]
ALL_ON = dict.fromkeys([*CHANNELS, "automated_followups"], True)


def reload(contact):
    return get_contact_model().objects.get(pk=contact.pk)


def give_point(contact, channel):
    """A contact point that makes ``channel`` apply (and ticks it, as adding one does)."""
    if channel == "email_allowed":
        contact.add_email(f"person{contact.pk}@example.com")
    elif channel == "phone_allowed":
        contact.add_phone(f"+4420794600{contact.pk % 100:02d}", kind="work")
    else:
        contact.add_phone(f"+4479110000{contact.pk % 100:02d}", kind="mobile")
    contact.refresh_from_db()
    assert getattr(contact, channel) is True
    return contact


def opt_out(contact, channel):
    setattr(contact, channel, False)
    contact.save()
    return contact


def flags(contact):
    contact = reload(contact)
    return {name: getattr(contact, name) for name in [*CHANNELS, "automated_followups"]}


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_duplicate_that_never_had_a_point_of_that_kind_leaves_the_channel_on(customer, make_contact, channel):
    main = give_point(make_contact(customer, first_name="Main"), channel)
    dup = make_contact(customer, first_name="Dup")
    assert getattr(dup, channel) is False  # never ticked: nothing to allow
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is True


def test_a_duplicate_with_a_work_phone_but_no_mobile_leaves_sms_on(customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "sms_allowed")
    dup = give_point(make_contact(customer, first_name="Dup"), "phone_allowed")
    assert dup.sms_allowed is False
    merge_contacts(main, [dup])
    main = reload(main)
    assert (main.sms_allowed, main.phone_allowed) == (True, True)


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_opt_out_of_a_duplicate_that_has_a_point_of_that_kind_wins(customer, make_contact, channel):
    main = give_point(make_contact(customer, first_name="Main"), channel)
    dup = opt_out(give_point(make_contact(customer, first_name="Dup"), channel), channel)
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_opt_out_of_mains_own_wins_over_a_duplicate_that_allows_it(customer, make_contact, channel):
    main = opt_out(give_point(make_contact(customer, first_name="Main"), channel), channel)
    dup = give_point(make_contact(customer, first_name="Dup"), channel)
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_opt_out_stays_one_after_its_point_was_removed(customer, make_contact, channel):
    main = give_point(make_contact(customer, first_name="Main"), channel)
    dup = opt_out(give_point(make_contact(customer, first_name="Dup"), channel), channel)
    ContactEmail.objects.filter(contact=dup).delete()
    ContactPhone.objects.filter(contact=dup).delete()
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_channel_switched_off_by_hand_on_a_contact_without_points_is_an_opt_out(customer, make_contact, channel):
    main = give_point(make_contact(customer, first_name="Main"), channel)
    dup = opt_out(make_contact(customer, first_name="Dup", **{channel: True}), channel)
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_main_without_a_point_takes_the_duplicates_point_and_its_permission(customer, make_contact, channel):
    main = make_contact(customer, first_name="Main")
    dup = give_point(make_contact(customer, first_name="Dup"), channel)
    merge_contacts(main, [dup])
    assert getattr(reload(main), channel) is True


def test_automated_followups_off_always_wins(customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "email_allowed")
    dup = make_contact(customer, first_name="Dup", automated_followups=False)
    merge_contacts(main, [dup])
    assert flags(main)["automated_followups"] is False
    assert flags(main)["email_allowed"] is True


@pytest.mark.parametrize("channel", CHANNELS)
def test_field_sources_still_choose_any_contacts_value(customer, make_contact, channel):
    main = give_point(make_contact(customer, first_name="Main"), channel)
    dup = opt_out(give_point(make_contact(customer, first_name="Dup"), channel), channel)
    merge_contacts(main, [dup], field_sources={channel: main})
    assert getattr(reload(main), channel) is True


def test_the_merge_command_keeps_sms_and_calls_of_a_contact_with_a_mobile(customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "sms_allowed")
    dup = give_point(make_contact(customer, first_name="Dup"), "email_allowed")
    call_command("merge_contacts", str(main.pk), str(dup.pk), stdout=StringIO())
    assert flags(main) == ALL_ON


def test_the_plan_names_the_real_opt_out_as_the_source(customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "sms_allowed")
    no_phone = make_contact(customer, first_name="NoPhone")
    opted_out = opt_out(give_point(make_contact(customer, first_name="OptedOut"), "sms_allowed"), "sms_allowed")
    plan = plan_merge(main, [no_phone, opted_out])
    assert plan.sources == {"sms_allowed": opted_out.pk}
    assert plan.values == {"sms_allowed": False}


def test_the_admin_merge_page_preselects_the_values_the_merge_would_keep(staff_client, customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "sms_allowed")
    no_phone = give_point(make_contact(customer, first_name="NoPhone"), "email_allowed")
    opted_out = opt_out(give_point(make_contact(customer, first_name="OptedOut"), "phone_allowed"), "phone_allowed")
    response = staff_client.get(url("merge"), {"ids": f"{main.pk},{no_phone.pk},{opted_out.pk}"})
    assert response.status_code == 200
    rows = response.context["rows"]
    chosen = {row["name"]: [cell["contact"].pk for cell in row["cells"] if cell["chosen"]] for row in rows}
    assert chosen["sms_allowed"] == [main.pk]  # nobody with a mobile said no
    assert chosen["phone_allowed"] == [opted_out.pk]  # OptedOut had a phone and said no
    assert chosen["email_allowed"] == [no_phone.pk]  # main had no email: NoPhone's brings its yes


def test_merging_from_the_admin_merge_page_keeps_the_preselection(staff_client, customer, make_contact):
    main = give_point(make_contact(customer, first_name="Main"), "sms_allowed")
    no_phone = give_point(make_contact(customer, first_name="NoPhone"), "email_allowed")
    other = make_contact(customer, first_name="Other")
    ids = f"{main.pk},{no_phone.pk},{other.pk}"
    page = staff_client.get(url("merge"), {"ids": ids})
    data = {"main": main.pk, "_merge": "1"}
    for row in page.context["rows"]:
        data[f"field_{row['name']}"] = next(cell["contact"].pk for cell in row["cells"] if cell["chosen"])
    response = staff_client.post(f"{url('merge')}?ids={ids}", data)
    assert response.status_code == 302
    assert flags(main) == ALL_ON
