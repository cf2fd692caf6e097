"""GDPR in the contact admin: **Erase personal data** and the subject-access download.

``GDPRAdminMixin`` gives ``ContactAdmin`` the changelist action ``erase_personal_data``,
the same confirmation page for one contact (``<pk>/erase/``, the change page's
**Erase personal data** button), and ``<pk>/subject-access/``, the JSON of everything
the app holds about the person (the change page's **Download personal data** button).

Who may: erasure needs ``customer_contacts.erase_contact``, and for a
customer-managed contact ``customer_contacts.change_customer_managed_contact``
(:func:`~django_customer_contacts.permissions.erase_refusal`); the download needs
the view (or change) permission on contacts and ``customer_contacts.export_contact``.
Which contacts erasure refuses, and what it erases, is the erasure module's to say
(:func:`~django_customer_contacts.services.plan_erasure`); this module only shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import django
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..erasure import ErasurePlan
from ..exceptions import ErasureError, LinkedUserError
from ..permissions import ERASE_CONTACT, can_export_subject_data, erase_refusal
from ..services import anonymize_contact, plan_erasure
from ..subject_access import subject_access_json

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    # ContactAdmin's other base, untyped (Any) for type checkers: a typed ModelAdmin here
    # would change how mypy reads ContactAdmin's own overrides. At run time: ``object``.
    from simple_history.admin import SimpleHistoryAdmin as _MixinBase

    from ..models import AbstractContact
else:
    _MixinBase = object

__all__ = ["GDPRAdminMixin", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """A selected contact erasure won't erase, and why (a message for the staff member)."""

    contact: AbstractContact
    reason: str
    #: Refused only because of a linked user account: unlinking it would let erasure go ahead.
    linked_user: bool = False


class GDPRAdminMixin(_MixinBase):
    """The contact admin's GDPR pages; mix into a ``ModelAdmin`` of the contact model."""

    # -- permissions --------------------------------------------------------------------

    def has_erase_contact_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ERASE_CONTACT)

    def has_subject_access_permission(self, request: HttpRequest) -> bool:
        return can_export_subject_data(request.user)

    # -- the change page's buttons ----------------------------------------------------------

    def gdpr_urls(self) -> list[URLPattern]:
        """``<pk>/erase/`` and ``<pk>/subject-access/``: put them before ``ModelAdmin``'s own."""
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            path("<path:object_id>/erase/", self.admin_site.admin_view(self.erase_view), name=f"{prefix}_erase"),
            path(
                "<path:object_id>/subject-access/",
                self.admin_site.admin_view(self.subject_access_view),
                name=f"{prefix}_subject_access",
            ),
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: AbstractContact | None = None,
    ) -> HttpResponse:
        # The change page's buttons, for the user who may use them.
        if obj is not None and change:
            if erase_refusal(request.user, obj) is None:
                context["erase_url"] = self._gdpr_url("erase", obj)
            if self.has_subject_access_permission(request):
                context["subject_access_url"] = self._gdpr_url("subject_access", obj)
        response: HttpResponse = super().render_change_form(request, context, add, change, form_url, obj)
        return response

    def _contact_or_404(self, request: HttpRequest, object_id: str) -> AbstractContact:
        contact: AbstractContact | None = self.get_object(request, unquote(object_id))
        if contact is None:
            raise Http404
        return contact

    def _gdpr_url(self, name: str, contact: AbstractContact) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=[quote(contact.pk)])

    # -- the subject-access download -------------------------------------------------------

    def subject_access_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Everything the app holds about the contact's person, as a JSON download."""
        if not self.has_subject_access_permission(request):
            raise PermissionDenied
        contact = self._contact_or_404(request, object_id)
        response = HttpResponse(subject_access_json(contact), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-personal-data.json"'
        return response

    # -- erasure ------------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Erase personal data (GDPR)"), permissions=["erase_contact"])
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[AbstractContact]) -> HttpResponse | None:
        """The changelist action: a confirmation page naming what goes, then erasure."""
        return self._erasure(request, queryset, form_url="", done_url=None)

    def erase_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The same confirmation page for one contact, from its change page."""
        if not (self.has_erase_contact_permission(request) and self.has_view_or_change_permission(request)):
            raise PermissionDenied
        contact = self._contact_or_404(request, object_id)
        change_url = self._gdpr_url("change", contact)
        response = self._erasure(
            request,
            self.get_queryset(request).filter(pk=contact.pk),
            form_url=request.get_full_path(),
            done_url=change_url,
        )
        return response if response is not None else HttpResponseRedirect(change_url)

    def _erasure(
        self, request: HttpRequest, queryset: QuerySet[AbstractContact], *, form_url: str, done_url: str | None
    ) -> HttpResponse | None:
        unlink_user = request.POST.get("unlink_user") == "1"
        contacts = list(queryset.order_by("pk"))
        if request.POST.get("post") == "yes":
            self._erase(request, contacts, unlink_user=unlink_user)
            return HttpResponseRedirect(done_url) if done_url else None
        plans: list[ErasurePlan] = []
        refused: list[Refusal] = []
        for contact in contacts:
            reason = erase_refusal(request.user, contact)
            if reason is not None:
                refused.append(Refusal(contact, reason))
                continue
            try:
                plans.append(plan_erasure(contact, unlink_user=unlink_user))
            except LinkedUserError:
                refused.append(Refusal(contact, self._linked_user_reason(contact), linked_user=True))
            except ErasureError as exc:
                refused.append(Refusal(contact, str(exc)))
        if not plans and not any(refusal.linked_user for refusal in refused):
            for refusal in refused:
                self.message_user(request, self._refused_message(refusal), messages.ERROR)
            return HttpResponseRedirect(done_url) if done_url else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Erase personal data"),
            "plans": plans,
            "refused": refused,
            "can_unlink": any(refusal.linked_user for refusal in refused),
            "unlink_user": unlink_user,
            "selected": [contact.pk for contact in contacts],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form_url": form_url,
            "cancel_url": done_url or self._changelist_url(),
            "breadcrumbs_as_list": django.VERSION >= (6, 1),
        }
        return TemplateResponse(request, "admin/customer_contacts/erase.html", context)

    def _erase(self, request: HttpRequest, contacts: list[AbstractContact], *, unlink_user: bool) -> None:
        erased: list[str] = []
        for contact in contacts:
            reason = erase_refusal(request.user, contact)
            if reason is not None:
                self.message_user(request, self._refused_message(Refusal(contact, reason)), messages.ERROR)
                continue
            try:
                # The admin's user is logged in: never an AnonymousUser.
                anonymize_contact(contact, user=cast("AbstractBaseUser", request.user), unlink_user=unlink_user)
            except LinkedUserError:
                reason = self._linked_user_reason(contact)
                self.message_user(request, self._refused_message(Refusal(contact, reason)), messages.ERROR)
            except ErasureError as exc:
                self.message_user(request, self._refused_message(Refusal(contact, str(exc))), messages.ERROR)
            else:
                # Named as it is now: the message doesn't carry the person's name any further.
                erased.append(str(contact))
        if erased:
            self.message_user(
                request,
                ngettext(
                    "Erased the personal data of %(count)d contact: %(contacts)s.",
                    "Erased the personal data of %(count)d contacts: %(contacts)s.",
                    len(erased),
                )
                % {"count": len(erased), "contacts": "; ".join(erased)},
                messages.SUCCESS,
            )

    def _linked_user_reason(self, contact: AbstractContact) -> str:
        return _(
            "%(contact)s has a user account, which erasing the contact doesn't erase. "
            "Unlink the account to erase the contact; then delete or anonymise the account yourself."
        ) % {"contact": contact}

    def _refused_message(self, refusal: Refusal) -> str:
        return _("%(contact)s was not erased: %(reason)s") % {"contact": refusal.contact, "reason": refusal.reason}

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
