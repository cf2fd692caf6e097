"""Signals the app sends. Receivers get ``sender`` = the active contact model class.

``primary_contact_changed(sender, customer, previous, contact, user)``
    Sent inside the transaction, once per real change: by
    :func:`~django_customer_contacts.services.set_primary_contact`, and when
    ``AUTO_PRIMARY`` makes a customer's first contact primary (then ``previous`` and
    ``user`` are ``None``). ``previous`` is the former primary or ``None``.

``contacts_merged(sender, contact, merged_ids, record, user)``
    Sent by :func:`~django_customer_contacts.services.merge_contacts` inside its
    transaction: a receiver that raises undoes the merge.

``contacts_unmerged(sender, contact, restored_ids, record, user)``
    Sent by :func:`~django_customer_contacts.services.unmerge` inside its transaction,
    once the merged contacts are restored: a receiver that raises undoes the undo.
"""

from django.dispatch import Signal

primary_contact_changed = Signal()
contacts_merged = Signal()
contacts_unmerged = Signal()
