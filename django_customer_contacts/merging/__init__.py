"""Merging duplicate contacts: ``merge_contacts`` and the plan it carries out.

A merge keeps one contact (main) and folds the duplicates into it. One module a job:

``relations``
    Which columns of which installed models hold a contact's key.
``rules``
    Which value of each field main keeps.
``planner``
    Locks the rows and works out, in one query, what the merge will do (``plan_merge``).
``record``
    The ``MergeRecord``: snapshots of everything the merge changes.
``executor``
    Carries out the plan (``merge_contacts``), writing history in batches
    (``django_customer_contacts.history``).
``undo_planner``
    Locks the rows and works out, in one query, what an undo puts back.
``undo``
    Carries an undo out (``unmerge``; ``plan_unmerge`` previews).

The public names are re-exported here.
"""

from .executor import merge_contacts
from .planner import MergePlan, RelationPlan, plan_merge
from .relations import Relation, contact_relations
from .rules import CONSENT, NOT_MERGED, OPT_OUTS, mergeable_fields
from .undo import plan_unmerge, unmerge
from .undo_planner import RelationUndo, UnmergePlan

__all__ = [
    "CONSENT",
    "NOT_MERGED",
    "OPT_OUTS",
    "MergePlan",
    "Relation",
    "RelationPlan",
    "RelationUndo",
    "UnmergePlan",
    "contact_relations",
    "merge_contacts",
    "mergeable_fields",
    "plan_merge",
    "plan_unmerge",
    "unmerge",
]
