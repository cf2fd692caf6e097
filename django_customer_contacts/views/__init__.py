"""The customer pages: a customer's contacts outside the admin (``django_customer_contacts.urls``).

``base``
    What every page shares: the customer in the URL, who may see it (``CUSTOMER_ACCESS``),
    the contact in the URL among the customer's, the base template.
``contacts``
    The list (``ContactFilterSet``), the contact form (new and edit), delete, set primary.
``merge``, ``duplicates``, ``unused``, ``export``, ``accounts``
    Merging selected contacts, the customer's possible duplicates, the review of unused
    contacts, the CSV export, log-ins.
"""

from .accounts import ContactLoginView
from .base import CustomerPageMixin
from .contacts import ContactCreateView, ContactDeleteView, ContactListView, ContactUpdateView, SetPrimaryView
from .duplicates import DuplicatesView
from .export import ExportView
from .merge import MergeView
from .unused import UnusedContactsView

__all__ = [
    "ContactCreateView",
    "ContactDeleteView",
    "ContactListView",
    "ContactLoginView",
    "ContactUpdateView",
    "CustomerPageMixin",
    "DuplicatesView",
    "ExportView",
    "MergeView",
    "SetPrimaryView",
    "UnusedContactsView",
]
