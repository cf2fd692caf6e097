"""Who an automated message reaches: ``Contact.objects.recipients()``."""

import itertools

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, ContactPhone, NotificationCategory, Tag


@pytest.fixture
def cases(db):
    """Two host objects to scope one-time contacts to (any model will do)."""
    return Tag.objects.create(name="Case 1"), Tag.objects.create(name="Case 2")


def make_person(customer, *, email=True, phone=None, categories=(), scope=None, **flags):
    """A contact with the given contact points, then exactly the given preferences.

    ``phone`` is ``None``, ``"mobile"`` or ``"work"``. Preferences not given are on,
    whatever adding the contact points ticked.
    """
    one_time = {"scope": scope} if scope is not None else {}
    contact = get_contact_model().objects.create(
        customer=customer, first_name="Pat", last_name="Doe", is_active=flags.pop("is_active", True), **one_time
    )
    if email:
        contact.add_email(f"pat{contact.pk}@example.com")
    if phone:
        contact.add_phone("07911 123456" if phone == "mobile" else "020 7946 0018", kind=phone)
    values = {
        "email_allowed": True,
        "sms_allowed": True,
        "phone_allowed": True,
        "receive_all_notifications": True,
        "automated_followups": True,
        **flags,
    }
    if values.pop("marketing_consent", False):
        values.update(marketing_consent=True, marketing_consent_source="web form")
    for name, value in values.items():
        setattr(contact, name, value)
    contact.save()
    contact.notification_categories.set(NotificationCategory.objects.filter(code__in=categories))
    return contact


# (id, contact, query, reached?) — one row per rule, each with its counter-example.
TABLE = [
    ("email: with an address, emails allowed", {}, {}, True),
    ("email: emails not allowed", {"email_allowed": False}, {}, False),
    ("email: no address", {"email": False, "phone": "mobile"}, {}, False),
    ("email: inactive", {"is_active": False}, {}, False),
    ("sms: a mobile, SMS allowed", {"phone": "mobile"}, {"channel": "sms"}, True),
    ("sms: only a work number", {"phone": "work"}, {"channel": "sms"}, False),
    ("sms: SMS not allowed", {"phone": "mobile", "sms_allowed": False}, {"channel": "sms"}, False),
    ("sms: no number", {}, {"channel": "sms"}, False),
    ("phone: a work number, calls allowed", {"phone": "work"}, {"channel": "phone"}, True),
    ("phone: a mobile counts too", {"phone": "mobile", "email": False}, {"channel": "phone"}, True),
    ("phone: calls not allowed", {"phone": "work", "phone_allowed": False}, {"channel": "phone"}, False),
    ("phone: no number", {}, {"channel": "phone"}, False),
    ("category: in it", {"receive_all_notifications": False, "categories": ["billing"]}, {"category": "billing"}, True),
    (
        "category: in another one",
        {"receive_all_notifications": False, "categories": ["helpdesk"]},
        {"category": "billing"},
        False,
    ),
    ("category: receives all", {"categories": []}, {"category": "billing"}, True),
    ("category: unknown code reaches nobody", {}, {"category": "no-such-category"}, False),
    ("category: none asked, none chosen", {"receive_all_notifications": False}, {}, True),
    ("marketing: consent given", {"marketing_consent": True}, {"marketing": True}, True),
    ("marketing: no consent", {}, {"marketing": True}, False),
    ("not marketing: consent not needed", {}, {"marketing": False}, True),
    ("follow-up: follow-ups wanted", {}, {"followup": True}, True),
    ("follow-up: follow-ups stopped", {"automated_followups": False}, {"followup": True}, False),
    ("not a follow-up: stop doesn't apply", {"automated_followups": False}, {}, True),
    ("one-time: its own scope", {"scope": "case 1"}, {"scope": "case 1"}, True),
    ("one-time: no scope asked", {"scope": "case 1"}, {}, False),
    ("one-time: another scope", {"scope": "case 1"}, {"scope": "case 2"}, False),
    ("regular contact: reached with a scope too", {}, {"scope": "case 1"}, True),
]


@pytest.mark.parametrize(
    ("contact_setup", "query", "reached"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_recipient_rules(customer, cases, contact_setup, query, reached):
    by_name = {"case 1": cases[0], "case 2": cases[1]}
    setup = dict(contact_setup)
    if "scope" in setup:
        setup["scope"] = by_name[setup["scope"]]
    query = dict(query)
    if "scope" in query:
        query["scope"] = by_name[query["scope"]]
    person = make_person(customer, **setup)
    recipients = get_contact_model().objects.recipients(customer, **query)
    assert (person in recipients) is reached


def test_sms_disabled_reaches_nobody_by_sms(customer):
    person = make_person(customer, phone="mobile")
    Contact = get_contact_model()
    assert list(Contact.objects.recipients(customer, channel="sms")) == [person]
    with override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": False}):
        assert list(Contact.objects.recipients(customer, channel="sms")) == []
        assert list(Contact.objects.recipients(customer, channel="phone")) == [person]


def test_other_customers_contacts_are_not_recipients(customer, make_customer):
    make_person(make_customer())
    mine = make_person(customer)
    assert list(get_contact_model().objects.recipients(customer)) == [mine]


def test_category_can_be_given_as_an_object(customer):
    billing = NotificationCategory.objects.get(code="billing")
    member = make_person(customer, receive_all_notifications=False, categories=["billing"])
    make_person(customer, receive_all_notifications=False, categories=["outages"])
    assert list(get_contact_model().objects.recipients(customer, category=billing)) == [member]


def test_recipients_carry_the_address_to_use(customer):
    person = make_person(customer, phone="mobile")
    person.add_email("second@example.com")
    person.add_phone("020 7946 0018", kind="work", primary=True)
    Contact = get_contact_model()
    assert Contact.objects.recipients(customer).get().recipient_address == person.email
    # SMS goes to the mobile even though the work number is primary.
    assert Contact.objects.recipients(customer, channel="sms").get().recipient_address == "+447911123456"
    assert Contact.objects.recipients(customer, channel="phone").get().recipient_address == "+442079460018"


def test_the_address_is_the_primary_point_else_the_oldest(customer):
    # Points written in bulk have no primary; for SMS, the primary number is a landline.
    person = make_person(customer, email=False)
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=person, email=address, email_normalized=address)
        for address in ("old@example.com", "new@example.com")
    )
    ContactPhone.objects.bulk_create(
        [
            ContactPhone(contact=person, number="+447911000001", kind="mobile"),
            ContactPhone(contact=person, number="+447911000002", kind="mobile"),
            ContactPhone(contact=person, number="+442079460018", kind="work", is_primary=True),
        ]
    )
    Contact = get_contact_model()

    def addresses():
        found = [
            Contact.objects.recipients(customer, channel=c).get().recipient_address for c in ("email", "sms", "phone")
        ]
        assert all(type(address) is str for address in found), found
        return found

    assert addresses() == ["old@example.com", "+447911000001", "+442079460018"]
    ContactEmail.objects.filter(email="new@example.com").update(is_primary=True)
    ContactPhone.objects.filter(kind="work").update(is_primary=False)
    ContactPhone.objects.filter(number="+447911000002").update(is_primary=True)
    assert addresses() == ["new@example.com", "+447911000002", "+447911000002"]


def test_recipients_is_one_query_whatever_the_options(customer, cases, django_assert_num_queries):
    for _ in range(3):
        make_person(customer, phone="mobile", receive_all_notifications=False, categories=["billing"])
        make_person(customer, scope=cases[0], marketing_consent=True)
    ContentType.objects.clear_cache()  # no content type lookup may sneak in
    Contact = get_contact_model()
    with django_assert_num_queries(1):
        people = list(
            Contact.objects.recipients(
                customer, channel="email", category="billing", scope=cases[0], marketing=False, followup=True
            )
        )
        addresses = [person.recipient_address for person in people]
    assert len(addresses) == 6
    with django_assert_num_queries(1):
        assert len(Contact.objects.recipients(customer, channel="sms", category="billing")) == 3


def test_recipients_is_chainable(customer):
    make_person(customer)
    jane = make_person(customer, job_title="Buyer")
    recipients = get_contact_model().objects.recipients(customer).filter(job_title="Buyer")
    assert list(recipients) == [jane]


@pytest.mark.parametrize("channel", ["fax", "", "EMAIL", None])
def test_unknown_channel_is_refused_clearly(customer, channel):
    with pytest.raises(ValueError, match="Unknown channel"):
        get_contact_model().objects.recipients(customer, channel=channel)


# -- every combination, against a plain statement of the rules ------------------------

PHONES = (None, "mobile", "work")
SCOPES = (None, "own", "other")


def _population(customer, own_scope, other_scope):
    """One contact per combination of everything ``recipients()`` looks at, bulk-created."""
    Contact = get_contact_model()
    tag_type = ContentType.objects.get_for_model(Tag)
    dimensions = {
        "is_active": (True, False),
        "email": (True, False),
        "phone": PHONES,
        "email_allowed": (True, False),
        "sms_allowed": (True, False),
        "phone_allowed": (True, False),
        "receive_all_notifications": (True, False),
        "billing": (True, False),
        "marketing_consent": (True, False),
        "automated_followups": (True, False),
        "scope": SCOPES,
    }
    combos = [dict(zip(dimensions, values, strict=True)) for values in itertools.product(*dimensions.values())]
    contacts = []
    for index, combo in enumerate(combos):
        scope = {"own": own_scope, "other": other_scope}.get(combo["scope"])
        contacts.append(
            Contact(
                customer=customer,
                first_name="Combo",
                last_name=str(index),
                job_title=str(index),
                is_active=combo["is_active"],
                email_allowed=combo["email_allowed"],
                sms_allowed=combo["sms_allowed"],
                phone_allowed=combo["phone_allowed"],
                receive_all_notifications=combo["receive_all_notifications"],
                marketing_consent=combo["marketing_consent"],
                automated_followups=combo["automated_followups"],
                scope_content_type=tag_type if scope else None,
                scope_object_id=str(scope.pk) if scope else "",
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=500)
    pk_of = dict(Contact.objects.filter(customer=customer).values_list("job_title", "pk"))
    for index, combo in enumerate(combos):
        combo["pk"] = pk_of[str(index)]
    ContactEmail.objects.bulk_create(
        [
            ContactEmail(
                contact_id=c["pk"], email=f"c{c['pk']}@example.com", email_normalized=f"c{c['pk']}@example.com"
            )
            for c in combos
            if c["email"]
        ],
        batch_size=500,
    )
    ContactPhone.objects.bulk_create(
        [
            ContactPhone(
                contact_id=c["pk"],
                number="+447911123456" if c["phone"] == "mobile" else "+442079460018",
                kind=c["phone"],
            )
            for c in combos
            if c["phone"]
        ],
        batch_size=500,
    )
    billing = NotificationCategory.objects.get(code="billing")
    Through = NotificationCategory.contacts.through
    contact_column = NotificationCategory.contacts.field.m2m_reverse_field_name()
    Through.objects.bulk_create(
        [Through(notificationcategory=billing, **{f"{contact_column}_id": c["pk"]}) for c in combos if c["billing"]],
        batch_size=500,
    )
    return combos


def _expected(combo, *, channel, category, scope, marketing, followup, sms_enabled):
    """The rules of recipients(), written out plainly."""
    has_point = {"email": combo["email"], "sms": combo["phone"] == "mobile", "phone": combo["phone"] is not None}
    allowed = {
        "email": combo["email_allowed"],
        "sms": combo["sms_allowed"] and sms_enabled,
        "phone": combo["phone_allowed"],
    }
    return (
        combo["is_active"]
        and has_point[channel]
        and allowed[channel]
        and (category is None or combo["receive_all_notifications"] or combo["billing"])
        and (combo["scope"] is None or (scope is not None and combo["scope"] == "own"))
        and (not marketing or combo["marketing_consent"])
        and (not followup or combo["automated_followups"])
    )


def test_recipients_over_every_combination(customer, make_customer, cases, django_assert_max_num_queries):
    combos = _population(customer, *cases)
    make_person(make_customer())  # another customer's contact, reached by nothing here
    Contact = get_contact_model()
    options = list(
        itertools.product(("email", "sms", "phone"), (None, "billing"), (None, "own"), (False, True), (False, True))
    )
    checked = 0
    for sms_enabled in (True, False):
        with override_settings(CUSTOMER_CONTACTS={"SMS_ENABLED": sms_enabled}):
            for channel, category, scope, marketing, followup in (
                options if sms_enabled else [("sms", None, None, False, False)]
            ):
                with django_assert_max_num_queries(1):
                    reached = set(
                        Contact.objects.recipients(
                            customer,
                            channel=channel,
                            category=category,
                            scope=cases[0] if scope else None,
                            marketing=marketing,
                            followup=followup,
                        ).values_list("pk", flat=True)
                    )
                expected = {
                    c["pk"]
                    for c in combos
                    if _expected(
                        c,
                        channel=channel,
                        category=category,
                        scope=scope,
                        marketing=marketing,
                        followup=followup,
                        sms_enabled=sms_enabled,
                    )
                }
                assert reached == expected, (channel, category, scope, marketing, followup, sms_enabled)
                checked += 1
    assert checked == 3 * 2 * 2 * 2 * 2 + 1
