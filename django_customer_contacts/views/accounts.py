"""Log-ins for contacts: enable one, email the log-in details, reset a password."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..exceptions import LoginError
from ..permissions import change_refusal
from ..services import enable_login, send_login_invitation
from .base import CustomerPageMixin

if TYPE_CHECKING:
    from ..models import AbstractContact

__all__ = ["ContactLoginView"]


class ContactLoginView(CustomerPageMixin):
    """``<pk>/login/``: whether the contact can log in; POST ``action``:

    ``invite``
        Enable the log-in if need be and email the log-in details (``send_login_invitation()``:
        a link to choose a password through Django's password reset).
    ``enable``
        Enable the log-in only (``enable_login()``), to email the details later.
    ``reset``
        For an account that has a password: Django's ``PasswordResetForm`` mails a link to
        choose a new one.
    """

    template_name = "customer_contacts/contact_login.html"
    page_title = gettext_lazy("Log-in")
    #: Templates of the password-reset email (Django's own by default).
    reset_email_template_name = "registration/password_reset_email.html"
    reset_subject_template_name = "registration/password_reset_subject.txt"

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        user_opts = get_user_model()._meta
        if refusal is None and not self.has_perm(f"{user_opts.app_label}.{get_permission_codename('add', user_opts)}"):
            refusal = _("You don't have permission to add user accounts.")
        return refusal

    def load(self) -> AbstractContact:
        contact = self.get_contact(self.contacts().select_related("user"))
        refusal = change_refusal(self.request.user, contact)
        if refusal is not None:
            raise PermissionDenied(refusal)
        return contact

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact = self.load()
        user = contact.user
        context = self.get_context_data(
            contact=contact,
            account=user,
            has_password=user is not None and user.has_usable_password(),
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact = self.load()
        action = request.POST.get("action")
        here = self.url("contact_login", pk=contact.pk)
        try:
            if action == "enable":
                enable_login(contact)
                messages.success(
                    request,
                    _("Log-in enabled for %(contact)s. Email the log-in details when ready.") % {"contact": contact},
                )
            elif action == "invite":
                user = send_login_invitation(contact, request=request)
                messages.success(
                    request,
                    _("The log-in details were emailed to %(email)s: a link to choose a password.")
                    % {"email": getattr(user, get_user_model().get_email_field_name(), "") or contact.email},
                )
            elif action == "reset":
                self.reset_password(contact)
            else:
                messages.error(request, _("Choose what to do."))
        except LoginError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(here)

    def reset_password(self, contact: AbstractContact) -> None:
        user = contact.user
        if user is None or not user.has_usable_password():
            raise LoginError(
                _("%(contact)s has no password yet: email the log-in details instead.") % {"contact": contact}
            )
        email = getattr(user, get_user_model().get_email_field_name(), "")
        form = PasswordResetForm({"email": email})
        if not email or not form.is_valid():
            raise LoginError(_("The account of %(contact)s has no valid email address.") % {"contact": contact})
        form.save(
            request=self.request,
            use_https=self.request.is_secure(),
            email_template_name=self.reset_email_template_name,
            subject_template_name=self.reset_subject_template_name,
        )
        messages.success(self.request, _("A link to reset the password was emailed to %(email)s.") % {"email": email})
