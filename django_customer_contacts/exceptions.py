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


class LoginError(ContactError):
    """``enable_login`` refused to create an account; nothing was changed."""


class ErasureError(ContactError):
    """``anonymize_contact`` refused to erase a contact; nothing was changed."""
