"""The query vocabulary of contacts: ``Contact.objects.active().for_customer(c)``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self, TypedDict, TypeVar, cast, overload

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.db import NotSupportedError, connections, models, transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Prefetch, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from .conf import app_settings
from .locking import lock_for_deletion
from .normalize import default_region, email_key, name_key, phone_search_lookups
from .unused import check_threshold, unused_cutoff

if TYPE_CHECKING:
    from .models import AbstractContact, ContactEmail, ContactPhone, ContactPoint, NotificationCategory

_CustomerQuerySet = TypeVar("_CustomerQuerySet", bound=models.QuerySet[Any, Any])
_Customer = TypeVar("_Customer", bound=models.Model)


class UnusedReviewRow(TypedDict):
    """A row of ``ContactQuerySet.unused_review()``."""

    customer: Any  # the customer's pk
    unused: int


#: The channels ``recipients()`` knows, and the ``*_allowed`` preference each needs.
RECIPIENT_CHANNELS: dict[str, str] = {
    "email": "email_allowed",
    "sms": "sms_allowed",
    "phone": "phone_allowed",
}

#: The attribute ``prefetch_primary_contacts()`` sets on each customer: a list holding
#: the primary contact, or nothing. The ``primary_contact`` template tag reads it.
PRIMARY_CONTACT_ATTR = "customer_contacts_primary"

#: Regular contacts: not one-time contacts (those have a scope).
REGULAR = Q(scope_content_type__isnull=True)

#: Contacts a marketing email may go to, but for "has an email address" (see ``consented()``).
CONSENTED = Q(is_active=True, marketing_consent=True, email_allowed=True)


def first_point(points: models.QuerySet[Any], column: str) -> Subquery:
    """``column`` of a contact's primary email or phone among ``points``: the one rule.

    ``points`` is a queryset of emails or phones filtered on ``contact=OuterRef("pk")``
    (and on a kind, if need be). The primary one comes first; among points with no
    primary (the SMS channel's mobiles, say) the oldest.
    """
    return Subquery(points.order_by("-is_primary", "pk").values(column)[:1], output_field=models.CharField())


def phone_condition(contact_model: type[models.Model], term: str) -> Q | None:
    """A condition on contacts: a phone number that ``term`` names, whole or in part.

    ``None`` when ``term`` can't be (part of) a number. See
    ``normalize.phone_search_lookups()``; the admin's search and ``search()`` use it.
    """
    matches = _number_matches(term)
    if matches is None:
        return None
    _emails, ContactPhone = contact_point_models(contact_model)
    return Q(Exists(ContactPhone._default_manager.filter(matches, contact=OuterRef("pk"))))


def _number_matches(term: str) -> Q | None:
    """A condition on phone numbers: the ones ``term`` names; ``None`` when it names none."""
    lookups = phone_search_lookups(term)
    if not lookups:
        return None
    matches = Q()
    for lookup, value in lookups:
        matches |= Q(**{f"number__{lookup}": value})
    return matches


#: MariaDB and MySQL: an invisible generated column of ``ContactPhone``, the number
#: reversed, and its index (migration ``0011``): the end of a number is the start of
#: this column, which a B-tree index finds.
REVERSED_NUMBER_COLUMN = "cc_number_reversed"


def numbers_ending_with(phones: models.Manager[Any], digits: str) -> models.QuerySet[Any, Any]:
    """The phone numbers ending with ``digits``.

    On MariaDB and MySQL by the reversed number's index (:data:`REVERSED_NUMBER_COLUMN`,
    a plain ``LIKE`` on it, which the index answers); elsewhere ``LIKE '%digits'``
    (PostgreSQL's trigram index serves it).
    """
    if connections[phones.db].vendor != "mysql":
        return phones.filter(number__endswith=digits)
    reversed_number = RawSQL(REVERSED_NUMBER_COLUMN, [], output_field=models.CharField())
    return phones.alias(reversed_number=reversed_number).filter(reversed_number__istartswith=digits[::-1])


def _prefix_lookup(using: str) -> str:
    """The lookup of the prefix rule on a stored key, which the key's index answers.

    The keys are stored normalised as the term is. MariaDB and MySQL compare them in
    the column's case-insensitive collation: there a plain ``LIKE`` (``istartswith``),
    which the index answers (``LIKE BINARY``, Django's ``startswith`` there, it can't).
    """
    return "istartswith" if connections[using].vendor == "mysql" else "startswith"


def _number_prefixes(phones: models.Manager[Any], term: str) -> list[models.QuerySet[Any, Any]]:
    """The phone numbers ``term`` names by the prefix rule (see ``ContactQuerySet.search_keys()``).

    The whole number, or its start (international, national, or national without the
    trunk prefix), by the number's index; or its end (:func:`numbers_ending_with`). One
    queryset per condition, each answered by one index (MariaDB reads an ``OR`` of
    them by scanning the table); none when ``term`` can't be (part of) a number.
    """
    lookups = phone_search_lookups(term)
    starts = _prefix_lookup(phones.db)
    conditions = [
        Q(**{f"number__{starts if lookup == 'startswith' else lookup}": value})
        for lookup, value in lookups
        if lookup != "contains"
    ]
    found = [phones.filter(condition) for condition in conditions]
    region = default_region()
    for lookup, value in lookups:
        if lookup != "contains":
            continue
        if region and not any(other == "startswith" for other, _value in lookups):
            # Digits alone: maybe the national number without its trunk prefix ("7911 12").
            national = f"+{phonenumbers.country_code_for_region(region)}{value}"
            found.append(phones.filter(**{f"number__{starts}": national}))
        found.append(numbers_ending_with(phones, value))
    return found


def contact_point_models(contact_model: type[models.Model]) -> tuple[type[ContactEmail], type[ContactPhone]]:
    """The email and phone models of ``contact_model``, found through its relations."""
    emails = contact_model._meta.get_field("emails").related_model
    phones = contact_model._meta.get_field("phones").related_model
    return cast("type[ContactEmail]", emails), cast("type[ContactPhone]", phones)


def has_email(contact_model: type[models.Model]) -> Exists:
    """A condition on contacts: they have an email address (consent's other rules: ``CONSENTED``)."""
    emails, _phones = contact_point_models(contact_model)
    return Exists(emails._default_manager.filter(contact=OuterRef("pk")))


def _notification_category_model(contact_model: type[models.Model]) -> type[NotificationCategory]:
    """The notification category model, found through ``contact_model``'s relations."""
    return cast("type[NotificationCategory]", contact_model._meta.get_field("notification_categories").related_model)


def _receives_category(contact_model: type[models.Model], category: NotificationCategory | str) -> Q:
    """Contacts that receive ``category`` (an instance or its code): all notifications, or that one.

    The membership test probes the through table's ``(category, contact)`` unique
    index for each contact, with the category's key known before the scan (given, or
    read once by its code): no join per contact, no scan of every membership.
    """
    NotificationCategory = _notification_category_model(contact_model)
    Membership = NotificationCategory.contacts.through
    category_column = NotificationCategory.contacts.field.m2m_field_name()
    contact_column = NotificationCategory.contacts.field.m2m_reverse_field_name()
    category_id: Any
    if isinstance(category, NotificationCategory) and category.pk is not None:
        category_id = category.pk
        # A category object exists (else its pk names nothing: reaches nobody, as below).
        category_exists = Exists(NotificationCategory._default_manager.filter(pk=category_id))
    else:
        code = getattr(category, "code", category)
        by_code = NotificationCategory._default_manager.filter(code=code)
        category_id = Subquery(by_code.values("pk")[:1])
        # A code that names no category reaches nobody, not every "receive all" contact.
        category_exists = Exists(by_code)
    in_category = Exists(
        Membership._default_manager.filter(**{contact_column: OuterRef("pk"), category_column: category_id})
    )
    return (Q(receive_all_notifications=True) & category_exists) | in_category


def _search_terms(term: str) -> tuple[Q | None, str]:
    """What :meth:`ContactQuerySet.search` looks for: every word in the name key, and the address key."""
    words = name_key(term).split()
    names = Q(*(Q(name_key__contains=word) for word in words)) if words else None
    return names, email_key(term)


class ContactQuerySet(models.QuerySet["AbstractContact"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete these contacts, their emails and phones (and whatever cascades from them).

        Locks their customers, then the contacts, in pk order (``locking``) before
        Django's collector reads what to delete, and filters again after the locks:
        contacts deleted or merged away meanwhile, or that no longer match, are left
        alone. ``PrimaryContactError`` when a primary contact would go while another
        contact of its customer could take over; nothing is deleted then.
        """
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        if self.query.distinct_fields:
            raise TypeError("Cannot call delete() after .distinct(*fields).")
        if getattr(self, "_fields", None) is not None:  # values() or values_list()
            raise TypeError("Cannot call delete() after .values() or .values_list()")
        if self.query.combinator:
            raise NotSupportedError(f"Calling QuerySet.delete() after {self.query.combinator}() is not supported.")
        using = self.db
        # A savepoint, so a refused deletion (PrimaryContactError) leaves the
        # caller's transaction usable.
        with transaction.atomic(using=using):
            pks = lock_for_deletion(self, using)
            if not pks:
                return 0, {}
            return super(ContactQuerySet, self.filter(pk__in=pks)).delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def active(self) -> Self:
        return self.filter(is_active=True)

    def primary(self) -> Self:
        return self.filter(is_primary=True)

    def regular(self) -> Self:
        """Contacts that are not one-time contacts."""
        return self.filter(REGULAR)

    def one_time(self) -> Self:
        return self.exclude(REGULAR)

    def for_customer(self, customer: Any) -> Self:
        """The customer's regular contacts (one-time contacts are left out)."""
        customer_id = getattr(customer, "pk", customer)
        return self.regular().filter(customer_id=customer_id)

    def for_scope(self, obj: models.Model) -> Self:
        """The one-time contacts that exist for ``obj`` (a case, a ticket, …)."""
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        return self.filter(scope_content_type=content_type, scope_object_id=str(obj.pk))

    def managed_by_customer(self) -> Self:
        """Contacts the customer manages itself (``managed_by="customer"``)."""
        return self.filter(managed_by=self.model.ManagedBy.CUSTOMER)

    # -- search -------------------------------------------------------------------------

    def matching_phone(self, term: str) -> Self | None:
        """Contacts with a phone number that ``term`` names, whole or in part; ``None``
        when ``term`` can't be (part of) a number (see ``normalize.phone_search_lookups()``).

        ``"123456"`` finds ``07911 123456``; ``"07911 12"`` finds numbers starting so in
        ``PHONENUMBER_DEFAULT_REGION``. One subquery: no duplicate rows.
        """
        condition = phone_condition(self.model, term)
        return None if condition is None else self.filter(condition)

    def search(self, term: str) -> Self:
        """Contacts whose name, email address or phone number matches ``term``.

        Every word of ``term`` in the name (ignoring case and accents), or ``term`` in
        an email address (ignoring case), or a phone number as :meth:`matching_phone`
        reads it. A blank term filters nothing. Subqueries: no duplicate rows.

        Tested contact by contact: the shape for a list other filters keep short (one
        customer's contacts). Over the whole table, :meth:`search_keys` is faster.
        """
        if not term.strip():
            return self
        ContactEmail, _phones = contact_point_models(self.model)
        names, address = _search_terms(term)
        condition = names if names is not None else Q(pk__in=[])
        if address:
            condition |= Q(
                Exists(ContactEmail._default_manager.filter(contact=OuterRef("pk"), email_normalized__contains=address))
            )
        phone = phone_condition(self.model, term)
        if phone is not None:
            condition |= phone
        return self.filter(condition)

    def search_everywhere(self, term: str, *, prefix: bool | None = None) -> Self:
        """These contacts, narrowed to the ones :meth:`search_keys` finds for ``term``.

        ``prefix`` chooses the rule (see :meth:`search_keys`); ``None``: the prefix rule
        on MariaDB and MySQL, where a match that may start mid-word can only be found by
        scanning, :meth:`search`'s rule elsewhere. On MariaDB and MySQL the keys'
        ``UNION`` is read as a derived table: as an ``IN`` subquery it would be run again
        for every contact.
        """
        if not term.strip():
            return self
        vendor = connections[self.db].vendor
        if prefix is None:
            prefix = vendor == "mysql"
        keys = self.model._default_manager.db_manager(self.db).all().search_keys(term, prefix=prefix)
        if vendor != "mysql":
            return self.filter(pk__in=keys)
        sql, params = keys.query.sql_with_params()
        return self.filter(pk__in=RawSQL(f"SELECT * FROM ({sql}) AS search_keys", params))

    def search_keys(self, term: str, *, prefix: bool = False) -> models.QuerySet[Any, Any]:
        """The keys of the contacts matching ``term``, for ``pk__in``.

        One ``UNION ALL`` of three lookups — contacts by name, email addresses, phone
        numbers — each answerable from its column's index, instead of testing every
        contact of the table in turn. A blank term matches every contact.

        The rule is :meth:`search`'s (on PostgreSQL the trigram indexes serve its partial
        matches; see the performance page of the docs), or with ``prefix=True`` the
        *prefix rule*, which a B-tree index answers on every database: the full name
        starts with the term's words (``"jane kow"``), or the last name does (``"kowal"``;
        ``"kowalski jane"``: the last name, then the start of the full name), an email
        address starts with the term (``"jane.k@"``), or a phone
        number is the one typed, starts with the digits typed (``"07911 12"``,
        ``"+44 7911"``, ``"7911 12"``) or ends with them (``"123456"``).
        """
        contacts = self.model._default_manager.db_manager(self.db)
        if not term.strip():
            return contacts.order_by().values("pk")
        ContactEmail, ContactPhone = contact_point_models(self.model)
        emails = ContactEmail._default_manager.db_manager(self.db)
        phones = ContactPhone._default_manager.db_manager(self.db)
        parts: list[models.QuerySet[Any, Any]] = []
        if prefix:
            words, address = name_key(term), email_key(term)
            starts = _prefix_lookup(self.db)
            if words:
                parts.append(contacts.filter(**{f"name_key__{starts}": words}).order_by().values("pk"))
                last = Q(last_name__istartswith=words)
                first_word, _space, rest = words.partition(" ")
                if rest:
                    # The last name first: "kowalski jane".
                    last |= Q(last_name__istartswith=first_word, **{f"name_key__{starts}": rest})
                parts.append(contacts.filter(last).order_by().values("pk"))
            if address:
                matching = emails.filter(**{f"email_normalized__{starts}": address})
                parts.append(matching.order_by().values("contact_id"))
            numbers = _number_prefixes(phones, term)
        else:
            names, address = _search_terms(term)
            if names is not None:
                parts.append(contacts.filter(names).order_by().values("pk"))
            if address:
                parts.append(emails.filter(email_normalized__contains=address).order_by().values("contact_id"))
            matches = _number_matches(term)
            numbers = [] if matches is None else [phones.filter(matches)]
        parts.extend(found.order_by().values("contact_id") for found in numbers)
        if not parts:
            return contacts.none().values("pk")
        first, *others = parts
        return first.union(*others, all=True) if others else first

    # -- who gets told ----------------------------------------------------------------

    def recipients(
        self,
        customer: Any,
        *,
        channel: str = "email",
        category: NotificationCategory | str | None = None,
        scope: models.Model | None = None,
        marketing: bool = False,
        followup: bool = False,
    ) -> Self:
        """The customer's contacts that automated communication of this kind should reach.

        A contact is a recipient when it is active, holds a contact point for
        ``channel`` (``"email"``: an email address; ``"sms"``: a mobile number;
        ``"phone"``: any number) and allows that channel (``email_allowed``,
        ``sms_allowed``, ``phone_allowed``; SMS only while ``SMS_ENABLED``). With a
        ``category`` (a ``NotificationCategory`` or its code) it must be in that
        category or receive all notifications. One-time contacts are included only
        for their own ``scope``, and only while it is open: ``SCOPE_OPEN`` (by default
        the scope's ``customer_contacts_open()``, if it has one) says so with a bool,
        or with a ``Q`` on the scope's model tested in the same query. ``marketing=True`` needs marketing consent;
        ``followup=True`` (an automated follow-up after an event) needs
        ``automated_followups``.

        Each contact carries ``recipient_address``: the address to use on that
        channel (the primary email, or the E.164 number, primary first), so sending
        needs no further queries. Evaluating the queryset is one query; none when
        SMS is disabled and ``channel="sms"``.
        """
        ContactEmail, ContactPhone = contact_point_models(self.model)

        allowed_field = RECIPIENT_CHANNELS.get(channel)
        if allowed_field is None:
            raise ValueError(
                _("Unknown channel %(channel)r: use one of %(channels)s.")
                % {"channel": channel, "channels": ", ".join(RECIPIENT_CHANNELS)}
            )
        customer_id = getattr(customer, "pk", customer)
        if channel == "sms" and not app_settings.sms_enabled:
            return self.none()

        of_kind = {"kind": ContactPhone.Kind.MOBILE} if channel == "sms" else {}
        points: models.QuerySet[ContactPoint]
        if channel == "email":
            points, relation, column = ContactEmail._default_manager.filter(contact=OuterRef("pk")), "emails", "email"
        else:
            points = ContactPhone._default_manager.filter(contact=OuterRef("pk"), **of_kind)
            relation, column = "phones", "number"
        address: Any = first_point(points, column)
        has_point = Q(Exists(points))
        queryset = self
        if connections[self.db].vendor == "mysql":
            # MariaDB runs a dependent subquery once per contact, which for a big customer
            # costs as much as the rest of the query. Joined on the one-primary index
            # (contact, primary_marker), the primary point is looked up by key instead;
            # the subqueries run only for a contact with no primary point of this kind.
            primary = {f"{relation}__primary_marker": True, **{f"{relation}__{k}": v for k, v in of_kind.items()}}
            queryset = queryset.alias(
                recipient_primary=FilteredRelation(relation, condition=Q(**primary)),
                recipient_primary_address=F(f"recipient_primary__{column}"),
            )
            address = Coalesce("recipient_primary_address", address, output_field=models.CharField())
            has_point = Q(recipient_primary_address__isnull=False) | has_point

        conditions = has_point & Q(customer_id=customer_id, is_active=True, **{allowed_field: True})
        if scope is None:
            conditions &= REGULAR
        else:
            is_open = app_settings.scope_open(scope)
            if isinstance(is_open, Q):
                # Tested in this query, on the scope's row as the database has it now.
                model = scope._meta.model
                is_open = Q(Exists(model._base_manager.filter(is_open, pk=scope.pk)))
            elif not isinstance(is_open, bool):
                raise TypeError(
                    _(
                        "SCOPE_OPEN must return True, False or a Q filter on the scope's model, "
                        "not %(answer)r (for %(scope)r)."
                    )
                    % {"answer": is_open, "scope": scope}
                )
            # A join on the content type, not get_for_model(): that could cost a query.
            opts = scope._meta
            own_scope = Q(
                scope_content_type__app_label=opts.app_label,
                scope_content_type__model=opts.model_name,
                scope_object_id=str(scope.pk),
            )
            if is_open is False:
                conditions &= REGULAR
            elif is_open is True:
                conditions &= REGULAR | own_scope
            else:
                conditions &= REGULAR | (own_scope & is_open)
        if category is not None:
            conditions &= _receives_category(self.model, category)
        if marketing:
            conditions &= Q(marketing_consent=True)
        if followup:
            conditions &= Q(automated_followups=True)
        return queryset.filter(conditions).annotate(recipient_address=address)

    def consented(self) -> Self:
        """Contacts a marketing email may go to: active, consenting, emails allowed, with an email."""
        return self.filter(CONSENTED, has_email(self.model))

    # -- unused contacts ----------------------------------------------------------------

    def unused(self, days: int | None = None) -> Self:
        """Active, non-primary contacts nobody has reached for ``days`` days.

        A contact is unused when it was created before the cut-off (now minus
        ``days``, default ``UNUSED_AFTER_DAYS``) and not contacted since: its
        ``last_contacted_at`` is empty or before the cut-off. The primary contact is
        never unused.
        """
        cutoff = unused_cutoff(days)
        return self.filter(
            Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff),
            is_active=True,
            is_primary=False,
            created__lt=cutoff,
        )

    def unused_review(
        self, days: int | None = None, threshold: int | None = None
    ) -> models.QuerySet[AbstractContact, UnusedReviewRow]:
        """Customers with at least ``threshold`` unused contacts, for the review of unused contacts.

        Rows of ``{"customer": <customer pk>, "unused": <count>}``, most unused first.
        ``threshold`` defaults to ``UNUSED_REVIEW_THRESHOLD``; ``days`` to ``UNUSED_AFTER_DAYS``.
        """
        threshold = check_threshold(threshold)
        return (
            self.unused(days)
            .order_by()
            .values("customer")
            .annotate(unused=Count("pk"))
            .filter(unused__gte=threshold)
            .order_by("-unused", "customer")
        )


# Named first: django-stubs' plugin types a from_queryset() manager assigned to a name;
# written inline as the base class, mypy sees none of its queryset methods.
_ContactManagerBase = models.Manager.from_queryset(ContactQuerySet)


class ContactManager(_ContactManagerBase["AbstractContact"]):
    pass


@overload
def prefetch_primary_contacts(customers: _CustomerQuerySet) -> _CustomerQuerySet: ...
@overload
def prefetch_primary_contacts(customers: Iterable[_Customer]) -> list[_Customer]: ...
def prefetch_primary_contacts(
    customers: models.QuerySet[Any, Any] | Iterable[Any],
) -> models.QuerySet[Any, Any] | list[Any]:
    """Fetch each customer's primary contact in one query, for ``{% primary_contact %}`` in a loop.

    Pass a queryset of your customers to get a queryset back, or a list of customer
    instances to have them filled in place (and get the list back). Each customer then
    holds its primary contact in ``customer_contacts_primary`` (a list of at most one),
    and ``{% primary_contact customer as c %}`` reads it without a query.
    """
    from django.db.models import prefetch_related_objects

    from . import get_contact_model

    model = get_contact_model()
    accessor = model._meta.get_field("customer").remote_field.get_accessor_name()
    prefetch = Prefetch(accessor, queryset=model._default_manager.primary(), to_attr=PRIMARY_CONTACT_ATTR)
    if isinstance(customers, models.QuerySet):
        return customers.prefetch_related(prefetch)
    customers = list(customers)
    prefetch_related_objects(customers, prefetch)
    return customers
