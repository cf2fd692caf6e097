"""Exceptions raised by the app's services and models."""


class ContactError(Exception):
    """Base class of every error the app raises on purpose.

    The message is written for the person who caused it: show it as it is.
    """


class PrimaryContactError(ContactError):
    """A primary contact change (or a deletion of the primary) was refused."""


class MergeError(ContactError):
    """A merge of contacts was refused; nothing was changed."""
