"""Exceptions raised by the app's services and models.

Every refusal a person can cause is a :class:`ContactError` subclass with a message
written for that person: show it as it is. Mistakes in the calling code (an unknown
``channel=``, a negative ``days=``) raise ``ValueError``; ``ValidationError`` is kept for
form and command input and for ``full_clean()``.
"""


class ContactError(Exception):
    """Base class of every error the app raises on purpose.

    The message is written for the person who caused it: show it as it is.
    """


class PrimaryContactError(ContactError):
    """A primary contact change (or a deletion of the primary) was refused."""


class MergeError(ContactError):
    """A merge of contacts was refused; nothing was changed."""


class UnmergeError(MergeError):
    """An undo of a merge (``unmerge``) was refused; nothing was changed.

    The subclasses say why; catch this one (or ``MergeError``) for all of them.
    """


class AlreadyUndoneError(UnmergeError):
    """The merge was undone already."""


class UnmergeOrderError(UnmergeError):
    """A later merge must be undone first: ``undo_first`` is its ``MergeRecord``."""

    def __init__(self, message: str, undo_first: object = None) -> None:
        super().__init__(message)
        self.undo_first = undo_first


class UnmergeConflictError(UnmergeError):
    """Undoing would lose or corrupt data: a key or unique value the merged contacts had
    is taken now, or a row the merge moved was deleted or moved elsewhere since."""


class ErasedSinceError(UnmergeError):
    """A contact of the merge was erased (GDPR) since: its data is gone for good."""


class LoginError(ContactError):
    """``enable_login`` refused to create an account; nothing was changed."""


class ErasureError(ContactError):
    """``anonymize_contact`` refused to erase a contact; nothing was changed."""


class LinkedUserError(ErasureError):
    """Erasure was refused because the contact has a user account (see ``unlink_user``)."""
