"""``MergeRecordAdmin``: the merges staff can read, and the **Undo merge** page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import get_contact_model
from ..exceptions import MergeError
from ..merging import contact_relations
from ..merging.undo_planner import relation_words
from ..models import MergeRecord, NotificationCategory, Tag
from ..permissions import can_view_contact, change_refusal
from ..services import plan_unmerge, unmerge

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..models import AbstractContact

    _RecordAdminBase = admin.ModelAdmin[MergeRecord]
else:
    _RecordAdminBase = admin.ModelAdmin

__all__ = ["UNMERGE_PERMISSION", "MergeRecordAdmin", "merged_contact_name"]

#: The permission the **Undo merge** button and page need.
UNMERGE_PERMISSION = "customer_contacts.unmerge_contact"


def merged_contact_name(record: MergeRecord, pk: Any) -> str:
    """A merged contact's name as its snapshot has it, with its pk: "Jane Smyth (#12)"."""
    fields = ((record.snapshots or {}).get(str(pk)) or {}).get("fields") or {}
    names = ("title", "first_name", "middle_name", "last_name")
    contact = get_contact_model()(**{name: fields.get(name) or "" for name in names})
    return f"{contact.display_name or _('(no name)')} (#{pk})"


class MergeRecordAdmin(_RecordAdminBase):
    """Merge records, read-only: what was merged, by whom, what moved; and **Undo merge**.

    Staff who may see contacts may read them (or with the model's own ``view``
    permission); nobody adds, changes or deletes them here. **Undo merge** needs
    ``customer_contacts.unmerge_contact``, and that the user may change the contact
    the merge kept.
    """

    list_display = ["created", "user", "kept_contact", "merged_contacts", "reason", "undone"]
    list_display_links = ["created"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "contact"]
    search_fields = ["reason", "undo_reason"]
    date_hierarchy = "created"
    change_form_template = "admin/customer_contacts/mergerecord_change_form.html"
    fieldsets = [
        (None, {"fields": ["created", "user", "kept_contact", "merged_contacts", "reason"]}),
        (gettext_lazy("What moved"), {"fields": ["what_moved"]}),
        (gettext_lazy("Values the kept contact took"), {"fields": ["values_taken"]}),
        (gettext_lazy("The merged contacts as they were"), {"fields": ["merged_snapshots"]}),
        (gettext_lazy("Undo"), {"fields": ["undone", "undone_by", "undo_reason", "undo_kept"]}),
    ]
    readonly_fields = [
        "created",
        "user",
        "kept_contact",
        "merged_contacts",
        "reason",
        "what_moved",
        "values_taken",
        "merged_snapshots",
        "undone",
        "undone_by",
        "undo_reason",
        "undo_kept",
    ]

    # -- who may do what -------------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: MergeRecord | None = None) -> bool:
        return super().has_view_permission(request, obj) or can_view_contact(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MergeRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MergeRecord | None = None) -> bool:
        return False

    def has_unmerge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(UNMERGE_PERMISSION)

    # -- columns and fields ----------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[MergeRecord]:
        return super().get_queryset(request).select_related("user", "contact", "undone_by")

    @admin.display(description=gettext_lazy("kept contact"), ordering="contact")
    def kept_contact(self, record: MergeRecord) -> str:
        contact = record.contact
        if contact is None:
            return _("#%(pk)s, deleted since") % {"pk": (record.survivor or {}).get("pk", "?")}
        url = self._contact_url(contact.pk)
        label = f"{contact} (#{contact.pk})"
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=gettext_lazy("merged contacts"))
    def merged_contacts(self, record: MergeRecord) -> str:
        return ", ".join(merged_contact_name(record, pk) for pk in record.merged_ids or [])

    @admin.display(description=gettext_lazy("undone"), boolean=True, ordering="undone_at")
    def undone(self, record: MergeRecord) -> bool:
        return record.undone_at is not None

    @admin.display(description=gettext_lazy("moved, per relation"))
    def what_moved(self, record: MergeRecord) -> SafeString | str:
        relations = {relation.label: relation for relation in contact_relations()}
        items: list[tuple[str]] = []
        for label, rows in (record.moved or {}).items():
            what = relation_words(relations[label]) if label in relations else label
            for kind in ("moved", "dropped"):
                for pk, pks in (rows.get(kind) or {}).items():
                    if not pks:
                        continue
                    items.append(
                        (
                            (
                                _("%(what)s: %(count)d moved from %(contact)s to the kept contact")
                                if kind == "moved"
                                else _("%(what)s: %(count)d of %(contact)s dropped (the kept contact had the same)")
                            )
                            % {"what": what, "count": len(pks), "contact": merged_contact_name(record, pk)},
                        )
                    )
        if not items:
            return _("Nothing pointed at the merged contacts.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", items))

    @admin.display(description=gettext_lazy("values"))
    def values_taken(self, record: MergeRecord) -> SafeString | str:
        model = get_contact_model()
        survivor = record.survivor or {}
        before, after = survivor.get("before") or {}, survivor.get("after") or {}
        items = []
        for name, source in (record.field_sources or {}).items():
            try:
                model_field = model._meta.get_field(name)
            except Exception:
                continue
            attname = getattr(model_field, "attname", name)
            change = ""
            if attname in before and attname in after:
                change = _(": %(before)s → %(after)s") % {
                    "before": _shown(before[attname]),
                    "after": _shown(after[attname]),
                }
            items.append(
                (
                    _("%(field)s: from %(contact)s%(change)s")
                    % {
                        "field": str(getattr(model_field, "verbose_name", name)).capitalize(),
                        "contact": merged_contact_name(record, source),
                        "change": change,
                    },
                )
            )
        if after.get("is_primary") and not before.get("is_primary", True):
            items.append((_("It became the primary contact: a merged contact was."),))
        if not items:
            return _("The kept contact's values stayed as they were.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", items))

    @admin.display(description=gettext_lazy("snapshots"))
    def merged_snapshots(self, record: MergeRecord) -> SafeString | str:
        model = get_contact_model()
        labels = {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}
        snapshots = [(record.snapshots or {}).get(str(pk)) or {} for pk in record.merged_ids or []]
        tag_pks = {pk for snapshot in snapshots for pk in snapshot.get("tags") or []}
        category_pks = {pk for snapshot in snapshots for pk in snapshot.get("notification_categories") or []}
        tags = dict(Tag._default_manager.filter(pk__in=tag_pks).values_list("pk", "name")) if tag_pks else {}
        categories = (
            dict(NotificationCategory._default_manager.filter(pk__in=category_pks).values_list("pk", "name"))
            if category_pks
            else {}
        )
        parts = []
        for pk in record.merged_ids or []:
            snapshot = (record.snapshots or {}).get(str(pk)) or {}
            if snapshot.get("erased"):
                parts.append(format_html("<h3>{}</h3><p>{}</p>", f"#{pk}", _("Erased (GDPR).")))
                continue
            fields = snapshot.get("fields") or {}
            rows = [
                (labels.get(attname, attname).capitalize(), _shown(value))
                for attname, value in fields.items()
                if value not in (None, "", [], {}) and attname not in ("name_key", "id")
            ]
            rows += [
                (_("Email"), f"{e.get('email')} ({e.get('kind')}{', primary' if e.get('is_primary') else ''})")
                for e in snapshot.get("emails") or []
            ]
            rows += [
                (_("Phone"), f"{p.get('number')} ({p.get('kind')}{', primary' if p.get('is_primary') else ''})")
                for p in snapshot.get("phones") or []
            ]
            if snapshot.get("notification_categories"):
                names = [categories.get(c, f"#{c}") for c in snapshot["notification_categories"]]
                rows.append((_("Notification categories"), ", ".join(names)))
            if snapshot.get("tags"):
                rows.append((_("Tags"), ", ".join(tags.get(t, f"#{t}") for t in snapshot["tags"])))
            parts.append(
                format_html(
                    '<h3>{}</h3><table class="merge-snapshot">{}</table>',
                    merged_contact_name(record, pk),
                    format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
                )
            )
        return format_html_join("", "{}", ((part,) for part in parts))

    @admin.display(description=gettext_lazy("kept as it was"))
    def undo_kept(self, record: MergeRecord) -> SafeString | str:
        if not record.undo_notes:
            return "—" if record.undone_at is None else _("Nothing: everything was restored.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((note,) for note in record.undo_notes)))

    def _contact_url(self, pk: Any) -> str | None:
        opts = get_contact_model()._meta
        try:
            return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(pk)])
        except NoReverseMatch:  # the contact admin isn't on this site
            return None

    # -- the undo page -----------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        undo = path(
            "<path:object_id>/undo/",
            self.admin_site.admin_view(self.undo_view),
            name=f"{opts.app_label}_{opts.model_name}_undo",
        )
        return [undo, *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if record is not None and record.undone_at is None and self.has_unmerge_permission(request):
            context["undo_url"] = self._url("undo", record.pk)
        return super().change_view(request, object_id, form_url, context)

    def _url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args)

    def undo_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """``<pk>/undo/``: what the undo will restore and move back; POSTed, the undo."""
        if not self.has_unmerge_permission(request):
            raise PermissionDenied
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404
        record_url = self._url("change", record.pk)
        if record.contact is not None:
            refusal = change_refusal(request.user, cast("AbstractContact", record.contact))
            if refusal is not None:
                self.message_user(
                    request, _("The merge was not undone. %(reason)s") % {"reason": refusal}, messages.ERROR
                )
                return HttpResponseRedirect(record_url)
        try:
            if request.method == "POST" and "_undo" in request.POST:
                # The admin's user is logged in: never an AnonymousUser.
                user = cast("AbstractBaseUser", request.user)
                record = unmerge(record, user=user, reason=request.POST.get("reason", ""))
                self.message_user(
                    request,
                    ngettext(
                        "Merge #%(record)s undone: %(contacts)s is back.",
                        "Merge #%(record)s undone: %(contacts)s are back.",
                        len(record.merged_ids),
                    )
                    % {
                        "record": record.pk,
                        "contacts": ", ".join(merged_contact_name(record, pk) for pk in record.merged_ids),
                    },
                    messages.SUCCESS,
                )
                for note in record.undo_notes:
                    self.message_user(request, note, messages.WARNING)
                return HttpResponseRedirect(record_url)
            plan = plan_unmerge(record)
        except MergeError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(record_url)
        by_pk = {contact.pk: contact for contact in plan.contacts}
        moves = [
            {
                "what": relation_words(relation_undo.relation),
                "contact": f"{by_pk[pk]} (#{pk})",
                "moved": len(relation_undo.moved.get(pk, [])),
                "created": len(relation_undo.created.get(pk, [])),
            }
            for relation_undo in plan.relations
            for pk in {*relation_undo.moved, *relation_undo.created}
        ]
        fields = {f.attname: f for f in plan.main._meta.concrete_fields}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Undo merge #%(record)s") % {"record": record.pk},
            "record": record,
            "record_url": record_url,
            "plan": plan,
            "contacts": [(contact, self._contact_url(contact.pk)) for contact in plan.contacts],
            "main_url": self._contact_url(plan.main.pk),
            "moves": moves,
            "values": [
                (fields[attname].verbose_name, _shown(value))
                for attname, value in plan.main_values.items()
                if attname in fields and attname not in ("modified", "name_key", "is_primary")
            ],
        }
        return TemplateResponse(request, "admin/customer_contacts/unmerge.html", context)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)
