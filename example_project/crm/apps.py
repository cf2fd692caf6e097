from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


def delete_contact_notes(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted contact takes its notes along.

    Customers and cases do that through their ``GenericRelation``; the contact model
    belongs to django-customer-contacts and has none, so a signal does it. Merged
    duplicates lose nothing: the merge moves their notes to the surviving contact
    before it deletes them.
    """
    from .models import Note

    Note.objects.for_object(instance).delete()


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from django_customer_contacts import get_contact_model

        post_delete.connect(delete_contact_notes, sender=get_contact_model(), dispatch_uid="crm.delete_contact_notes")
