"""What the merge tests share: the host's relations in either scenario, and table dumps.

Both host apps (``tests.hostapp`` by default, ``tests.swapcrm`` with the swapped contact
model) declare the same relations to contacts; only the plain foreign key and the auto
many-to-many have other names there. ``host`` hides the difference.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from simple_history.models import HistoricalChanges

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import (
    ContactEmail,
    ContactPhone,
    DuplicateChange,
    DuplicateScan,
    MergeRecord,
    NotificationCategory,
    Tag,
)
from django_customer_contacts.services import merge_contacts

SWAPPED = settings.CUSTOMER_CONTACTS_CONTACT_MODEL != "customer_contacts.Contact"

if SWAPPED:
    from tests.swapcrm import models as host_models

    host = SimpleNamespace(
        models=host_models,
        fk_model=host_models.Ticket,
        fk_field="contact",
        fk_label="subject",
        m2m_model=host_models.Team,
        m2m_field="members",
        m2m_label="name",
    )
else:
    from tests.hostapp import models as host_models

    host = SimpleNamespace(
        models=host_models,
        fk_model=host_models.Invoice,
        fk_field="billing_contact",
        fk_label="number",
        m2m_model=host_models.Meeting,
        m2m_field="attendees",
        m2m_label="subject",
    )

#: The relations the host apps and the app itself point at contacts with, by label.
EXPECTED_RELATIONS = {
    "customer_contacts.contactemail.contact",
    "customer_contacts.contactphone.contact",
    "customer_contacts.notificationcategory_contacts.contact",
    "customer_contacts.tag_contacts.contact",
    "customer_contacts.mergerecord.contact",
    f"{get_contact_model()._meta.label_lower}.scope",
    f"{host.fk_model._meta.label_lower}.{host.fk_field}",
    f"{host.m2m_model._meta.get_field(host.m2m_field).remote_field.through._meta.label_lower}.contact",
    *(
        f"{host_models.__name__.split('.')[1]}.{name}"
        for name in (
            "opportunity.contact",
            "badge.contact",
            "membership.contact",
            "activity.subject",
            "attachment.target",
        )
    ),
    *(["swapcrm.contact_interests.contact"] if SWAPPED else []),
}


def add_fk_rows(contact, count=1, prefix="FK"):
    return host.fk_model.objects.bulk_create(
        host.fk_model(**{host.fk_field: contact, host.fk_label: f"{prefix}-{i}"}) for i in range(count)
    )


def fk_rows(contact):
    return host.fk_model.objects.filter(**{host.fk_field: contact})


def add_m2m_rows(contact, count=1, prefix="M2M"):
    """Link ``contact`` to ``count`` new rows of the host's auto many-to-many."""
    rows = host.m2m_model.objects.bulk_create(host.m2m_model(**{host.m2m_label: f"{prefix}-{i}"}) for i in range(count))
    through = host.m2m_model._meta.get_field(host.m2m_field).remote_field.through
    source = f"{host.m2m_model._meta.model_name}_id"
    through.objects.bulk_create(through(**{source: row.pk, "contact_id": contact.pk}) for row in rows)
    return rows


def m2m_rows(contact):
    return host.m2m_model.objects.filter(**{host.m2m_field: contact})


def generic(contact):
    content_type = ContentType.objects.get_for_model(get_contact_model())
    return {"content_type": content_type, "object_id": contact.pk}


def add_activities(contact, count=1, prefix="Activity"):
    return host_models.Activity.objects.bulk_create(
        host_models.Activity(summary=f"{prefix}-{i}", **generic(contact)) for i in range(count)
    )


def add_attachments(contact, count=1, prefix="Attachment"):
    values = generic(contact)
    values["object_id"] = str(contact.pk)
    return host_models.Attachment.objects.bulk_create(
        host_models.Attachment(name=f"{prefix}-{i}", **values) for i in range(count)
    )


def add_opportunities(contact, count=1, prefix="Opportunity"):
    return host_models.Opportunity.objects.bulk_create(
        host_models.Opportunity(title=f"{prefix}-{i}", contact=contact) for i in range(count)
    )


def add_emails(contact, count=1, prefix="mail"):
    """``count`` addresses (the first primary), written in bulk as an import would."""
    return ContactEmail.objects.bulk_create(
        ContactEmail(
            contact=contact,
            email=f"{prefix}{i}@example.com",
            email_normalized=f"{prefix}{i}@example.com",
            is_primary=i == 0,
        )
        for i in range(count)
    )


_numbers = itertools.count(100000)


def add_phones(contact, count=1):
    """``count`` numbers no other contact has (the first primary), written in bulk."""
    return ContactPhone.objects.bulk_create(
        ContactPhone(contact=contact, number=f"+447911{next(_numbers):06d}", is_primary=i == 0) for i in range(count)
    )


def link_everything(contact, name, *, count=1, shared=None):
    """Give ``contact`` rows in every relation: ``count`` of each where it can hold many.

    ``shared`` (a dict made by ``shared_targets()``) links it to those same projects,
    tags, categories and host many-to-many rows, so a merge has links to drop.
    """
    add_emails(contact, count, prefix=name)
    add_phones(contact, count)
    host_models.Badge.objects.create(contact=contact, code=f"B-{name}"[:20])
    add_fk_rows(contact, count, prefix=name)
    add_m2m_rows(contact, count, prefix=name)
    add_opportunities(contact, count, prefix=name)
    add_activities(contact, count, prefix=name)
    add_attachments(contact, count, prefix=name)
    project = host_models.Project.objects.create(name=f"P-{name}")
    host_models.Membership.objects.create(project=project, contact=contact, role="member")
    contact.tags.add(Tag.objects.create(name=f"T-{name}"))
    if shared:
        ContactEmail.objects.create(contact=contact, email="shared@example.com")
        ContactPhone.objects.create(contact=contact, number="+442079460018")
        contact.tags.add(shared["tag"])
        contact.notification_categories.add(shared["category"])
        host_models.Membership.objects.create(project=shared["project"], contact=contact, role=name)
        through = host.m2m_model._meta.get_field(host.m2m_field).remote_field.through
        through.objects.create(**{f"{host.m2m_model._meta.model_name}": shared["m2m"], "contact_id": contact.pk})
        if SWAPPED:
            contact.interests.add(shared["interest"])


def shared_targets():
    return {
        "tag": Tag.objects.create(name="Shared"),
        "category": NotificationCategory.objects.get(code="billing"),
        "project": host_models.Project.objects.create(name="Shared project"),
        "m2m": host.m2m_model.objects.create(**{host.m2m_label: "Shared"}),
        **({"interest": host_models.Interest.objects.create(name="Shared")} if SWAPPED else {}),
    }


def table_rows():
    """Every row of every table a model maps, as plain values: for "nothing changed"."""
    dump = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        dump[model._meta.label] = sorted(
            (tuple(str(value) for value in row) for row in model._base_manager.values_list(*fields)), key=repr
        )
    return dump


def data_rows():
    """Every table but history, merge records (which a merge and its undo add to) and
    duplicate detection's bookkeeping (the customer's "contacts changed" notes)."""
    bookkeeping = {MergeRecord._meta.label, DuplicateChange._meta.label, DuplicateScan._meta.label}
    return {
        label: rows
        for label, rows in table_rows().items()
        if not issubclass(apps.get_model(label), HistoricalChanges) and label not in bookkeeping
    }


def contacts_with_every_relation(customer, make_contact, user_model):
    """Main and two duplicates (the first primary) with rows in every relation there is.

    Besides ``link_everything`` (emails, phones, tags, categories, the host's foreign key,
    one-to-one, many-to-manys, through model and generic relations, with links main
    has too): a linked user account, a contact scoped to a duplicate (the contact
    model's own generic relation) and the record of an earlier merge into one.
    """
    first = make_contact(customer, first_name="Jane", job_title="CFO", user=user_model.objects.create_user("jane"))
    main = make_contact(customer, first_name="Jane", last_name="")
    second = make_contact(customer, first_name="Jane", timezone="Europe/Paris")
    shared = shared_targets()
    for contact, name in ((main, "main"), (first, "first"), (second, "second")):
        link_everything(contact, name, count=2, shared=shared)
    host_models.Badge.objects.filter(contact__in=[main, second]).delete()
    scoped = make_contact(customer, first_name="Scoped")
    scoped.scope_content_type, scoped.scope_object_id = generic(second)["content_type"], str(second.pk)
    scoped.save()
    merge_contacts(second, [make_contact(customer, first_name="Earlier")])
    assert first.is_primary
    return main, [first, second]
