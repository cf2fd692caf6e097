"""User accounts for contacts: ``enable_login``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from . import get_contact_model
from .exceptions import LoginError
from .locking import db_for_write, lock_contacts
from .normalize import email_key

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import AbstractContact


def enable_login(contact: AbstractContact) -> AbstractBaseUser:
    """Create a user account for ``contact``'s primary email, link it and return it.

    The username is the primary email address, lower-cased (in the user model's
    ``USERNAME_FIELD``); the email, first and last name are copied when the user model
    has those fields. The account has no groups, no permissions, is neither staff
    nor superuser, and has an unusable password: the person sets one through your
    password-reset flow.

    Runs in one transaction and locks the contact's row, so two calls can't both
    create an account. Raises ``LoginError`` (a ``ContactError``), with nothing changed, when the contact
    is unsaved, inactive, already has a user, has no email, or when a user with that
    username already exists (an existing account is never linked silently: link it
    yourself through ``contact.user`` after checking it is the same person).
    """
    if contact.pk is None:
        raise LoginError(_("Save the contact before enabling a login for it."))
    model = get_contact_model()
    user_model = get_user_model()
    using = db_for_write(contact)
    with transaction.atomic(using=using):
        fresh = lock_contacts([contact.pk], using, model._default_manager.all()).get(contact.pk)
        if fresh is None:
            raise LoginError(_("This contact no longer exists."))
        if fresh.user_id is not None:
            raise LoginError(_("%(contact)s already has a user account.") % {"contact": fresh})
        if not fresh.is_active:
            raise LoginError(_("%(contact)s is inactive: activate the contact first.") % {"contact": fresh})
        email = fresh.email
        if not email:
            raise LoginError(
                _("%(contact)s has no email address: add one before enabling a login.") % {"contact": fresh}
            )

        username_field = user_model.USERNAME_FIELD
        username = user_model.normalize_username(email_key(email))
        # get_field() is typed to return a reverse relation too; these names are fields.
        max_length = cast("models.Field[Any, Any]", user_model._meta.get_field(username_field)).max_length
        if max_length is not None and len(username) > max_length:
            raise LoginError(
                _("The email address %(email)s is too long to be a username (at most %(max)d characters).")
                % {"email": email, "max": max_length}
            )
        users = user_model._default_manager.db_manager(using)
        if users.filter(**{f"{username_field}__iexact": username}).exists():
            raise LoginError(
                _("A user account named %(username)s already exists. Link it to the contact yourself if it is theirs.")
                % {"username": username}
            )

        values: dict[str, Any] = {username_field: username}
        field_names = {field.name for field in user_model._meta.get_fields()}
        email_field = user_model.get_email_field_name()
        if email_field in field_names and email_field != username_field:
            values[email_field] = email
        for name in ("first_name", "last_name"):
            if name in field_names:
                limit = cast("models.Field[Any, Any]", user_model._meta.get_field(name)).max_length or None
                values[name] = getattr(fresh, name)[:limit]
        user = user_model(**values)
        user.set_unusable_password()
        try:
            with transaction.atomic(using=using):
                user.save(using=using)
        except IntegrityError:
            raise LoginError(_("A user account named %(username)s already exists.") % {"username": username}) from None

        fresh.user = user
        fresh.save(update_fields=["user"])
    contact.user = user
    return user
