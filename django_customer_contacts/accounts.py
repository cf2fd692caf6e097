"""User accounts for contacts: ``enable_login`` and ``send_login_invitation``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template import loader
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from . import get_contact_model
from .exceptions import LoginError
from .locking import db_for_write, lock_contacts
from .normalize import email_key

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest

    from .models import AbstractContact

__all__ = ["INVITATION_EMAIL_TEMPLATE", "INVITATION_SUBJECT_TEMPLATE", "enable_login", "send_login_invitation"]

#: The invitation's templates; override them in your own templates folder, or pass others.
INVITATION_SUBJECT_TEMPLATE = "customer_contacts/login_invitation_subject.txt"
INVITATION_EMAIL_TEMPLATE = "customer_contacts/login_invitation_email.txt"


def enable_login(contact: AbstractContact) -> AbstractBaseUser:
    """Create a user account for ``contact``'s primary email, link it and return it.

    The username is the primary email address, lower-cased (in the user model's
    ``USERNAME_FIELD``); the email, first and last name are copied when the user model
    has those fields. The account has no groups, no permissions, is neither staff
    nor superuser, and has an unusable password: the person sets one through the link
    :func:`send_login_invitation` mails (Django's own password reset skips accounts
    without a usable password).

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


def send_login_invitation(
    contact: AbstractContact,
    *,
    request: HttpRequest | None = None,
    domain_override: str | None = None,
    use_https: bool | None = None,
    from_email: str | None = None,
    subject_template_name: str = INVITATION_SUBJECT_TEMPLATE,
    email_template_name: str = INVITATION_EMAIL_TEMPLATE,
    html_email_template_name: str | None = None,
    extra_email_context: Mapping[str, Any] | None = None,
    token_generator: PasswordResetTokenGenerator = default_token_generator,
) -> AbstractBaseUser:
    """Mail ``contact`` a link to choose a password for its account; return the account.

    The contact's account is made with :func:`enable_login` first when it has none. The
    link is the one Django's password reset mails — a ``uidb64`` and a token of
    ``token_generator`` — so the person chooses a password through Django's own
    ``password_reset_confirm`` view (``django.contrib.auth.urls``), and the link works
    once, for ``PASSWORD_RESET_TIMEOUT``. The keywords are those of Django's
    ``PasswordResetForm.save()``; the templates get its context (``email``, ``domain``,
    ``site_name``, ``uid``, ``user``, ``token``, ``protocol``) plus ``contact``, and are
    rendered in the contact's ``language`` when it has one. The link's domain comes from
    ``domain_override``, else the ``request``'s site; ``use_https`` defaults to whether
    the request was secure.

    The mail goes to the account's email address (else the contact's primary one). An
    account that isn't new is invited again as long as nobody has chosen a password.

    Raises ``LoginError``, sending nothing, when the contact is inactive or has no
    account and :func:`enable_login` refuses one, or when its account is inactive or has
    a password already (the person then uses password reset). A mail the backend fails to
    send is a ``LoginError`` too; the account made for it stays, and calling again sends
    the invitation again. ``ValueError`` without ``request`` nor ``domain_override`` (and
    no ``django.contrib.sites``). Locks what :func:`enable_login` locks, when it makes the
    account; the mail is sent after that transaction.
    """
    if domain_override:
        site_name = domain = domain_override
    else:
        if request is None and not _sites_installed():
            raise ValueError(_("Pass the request or domain_override: the invitation's link needs a domain."))
        site = get_current_site(request)  # None: the current Site (django.contrib.sites)
        site_name, domain = site.name, site.domain
    if use_https is None:
        use_https = request is not None and request.is_secure()

    fresh = _invitee(contact)
    if fresh.user_id is None:
        try:
            enable_login(fresh)
        except LoginError:
            fresh = _invitee(contact)
            if fresh.user_id is None:  # not an account made meanwhile by another call
                raise
    user = fresh.user
    if user is None:  # enable_login() linked one, or raised
        raise LoginError(_("%(contact)s has no user account.") % {"contact": fresh})
    if user.has_usable_password():
        raise LoginError(
            _("%(contact)s already has a password: they can use password reset if they forgot it.") % {"contact": fresh}
        )
    if not getattr(user, "is_active", True):
        raise LoginError(
            _("The user account of %(contact)s is inactive: activate it before inviting them.") % {"contact": fresh}
        )
    user_model = type(user)
    email = getattr(user, user_model.get_email_field_name(), "") or fresh.email
    if not email:
        raise LoginError(_("%(contact)s has no email address: add one before inviting them.") % {"contact": fresh})
    contact.user = user

    context = {
        "email": email,
        "domain": domain,
        "site_name": site_name,
        "uid": urlsafe_base64_encode(force_bytes(user_model._meta.pk.value_to_string(user))),
        "user": user,
        "token": token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
        "contact": fresh,
        **(extra_email_context or {}),
    }
    language = translation.override(fresh.language) if fresh.language else contextlib.nullcontext()
    with language:
        # As PasswordResetForm.send_mail(), which would swallow a failure: staff must know.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [email])
        if html_email_template_name is not None:
            message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
    try:
        message.send()
    except Exception as exc:  # whatever the mail backend raises
        raise LoginError(
            _(
                "The invitation couldn't be sent to %(email)s (%(error)s). "
                "The account exists: send the invitation again."
            )
            % {"email": email, "error": exc}
        ) from exc
    return user


def _invitee(contact: AbstractContact) -> AbstractContact:
    if contact.pk is None:
        raise LoginError(_("Save the contact before inviting it to sign in."))
    fresh = get_contact_model()._default_manager.select_related("user").filter(pk=contact.pk).first()
    if fresh is None:
        raise LoginError(_("This contact no longer exists."))
    if not fresh.is_active:
        raise LoginError(_("%(contact)s is inactive: activate the contact first.") % {"contact": fresh})
    return fresh


def _sites_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("django.contrib.sites")
