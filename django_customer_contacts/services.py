"""The operations on contacts that span rows: the one module hosts import them from.

Each runs in one transaction and says in its docstring what it locks. They live in
modules of their own (see "Package layout" in the docs) and are re-exported here:

- :func:`set_primary_contact` (``primary``),
- :func:`merge_contacts` and :func:`plan_merge` (``merging``),
- :func:`unmerge` and :func:`plan_unmerge` (``merging.undo``),
- :func:`find_duplicate_contacts`, :func:`find_matches`, :func:`dismiss_duplicates`,
  :func:`undo_dismissal` and :func:`rebuild_match_keys` (``duplicates``),
- :func:`record_communication` (``communication``),
- :func:`needs_unused_review` and :func:`unused_review_count` (``unused``),
- :func:`enable_login` and :func:`send_login_invitation` (``accounts``),
- :func:`anonymize_contact` and :func:`plan_erasure` (``erasure``),
- :func:`subject_access_data` (``subject_access``),
- :func:`add_tag`, :func:`remove_tag`, :func:`opt_in_category`, :func:`opt_out_category`
  and :func:`set_preferences` (``bulk``).
"""

from __future__ import annotations

from .accounts import enable_login, send_login_invitation
from .bulk import add_tag, opt_in_category, opt_out_category, remove_tag, set_preferences
from .communication import record_communication
from .duplicates import (
    dismiss_duplicates,
    find_duplicate_contacts,
    find_matches,
    rebuild_match_keys,
    undo_dismissal,
)
from .erasure import anonymize_contact, plan_erasure
from .merging import merge_contacts, plan_merge, plan_unmerge, unmerge
from .primary import set_primary_contact
from .subject_access import subject_access_data
from .unused import needs_unused_review, unused_review_count

__all__ = [
    "add_tag",
    "anonymize_contact",
    "dismiss_duplicates",
    "enable_login",
    "find_duplicate_contacts",
    "find_matches",
    "merge_contacts",
    "needs_unused_review",
    "opt_in_category",
    "opt_out_category",
    "plan_erasure",
    "plan_merge",
    "plan_unmerge",
    "rebuild_match_keys",
    "record_communication",
    "remove_tag",
    "send_login_invitation",
    "set_preferences",
    "set_primary_contact",
    "subject_access_data",
    "undo_dismissal",
    "unmerge",
    "unused_review_count",
]
