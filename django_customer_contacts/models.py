"""Contacts, their emails and phones, notification categories and tags.

The invariants that matter most are kept by the database:

* at most one primary contact per customer,
* at most one primary email and one primary phone per contact.

MariaDB and MySQL ignore conditional unique constraints, so a "primary" flag can't
be made unique with ``UniqueConstraint(..., condition=Q(is_primary=True))`` there.
Instead each of these models carries ``primary_marker``, a stored generated column
that is ``TRUE`` for the primary row and ``NULL`` otherwise. A plain unique constraint
over ``(owner, primary_marker)`` then refuses a second primary on every backend,
because ``NULL`` values never collide. The database derives the marker itself, so even
a raw ``UPDATE`` of ``is_primary`` is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from model_utils import FieldTracker
from model_utils.models import TimeStampedModel
from phonenumber_field.modelfields import PhoneNumberField

from . import normalize
from .conf import DEFAULT_CONTACT_MODEL, app_settings
from .exceptions import PrimaryContactError
from .fields import ExactKeyField
from .history import FrozenHistoricalRecords
from .locking import (
    cascade_to_contacts,
    db_for_write,
    lock_contact,
    lock_contacts,
    lock_customer,
    lock_email_addresses,
)
from .querysets import ContactManager
from .signals import primary_contact_changed
from .validators import validate_language, validate_timezone

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import ManyRelatedManager, RelatedManager
    from phonenumber_field.phonenumber import PhoneNumber

# Read once at import: a model's relations are fixed when its class is built.
# A missing customer setting points at a model that does not exist, so Django's
# own checks and ``customer_contacts.E001`` explain it instead of an import crash.
CUSTOMER_MODEL = getattr(settings, "CUSTOMER_CONTACTS_CUSTOMER_MODEL", None) or (
    "customer_contacts.CustomerModelNotConfigured"
)
CONTACT_MODEL = getattr(settings, "CUSTOMER_CONTACTS_CONTACT_MODEL", DEFAULT_CONTACT_MODEL)


def join_names(*parts: str) -> str:
    """Names joined by single spaces, blank ones left out: ``AbstractContact.full_name``'s rule."""
    return " ".join(" ".join(part.split()) for part in parts if part and part.strip())


def titled_name(title: str, full_name: str) -> str:
    """A title's label before a full name: ``AbstractContact.display_name``'s rule."""
    return " ".join(part for part in (title, full_name) if part)


def primary_marker_field() -> models.GeneratedField:
    """``TRUE`` when ``is_primary`` is set, else ``NULL``: see the module docstring."""
    return models.GeneratedField(
        expression=models.Case(
            models.When(is_primary=True, then=models.Value(True)),
            default=models.Value(None),
            output_field=models.BooleanField(null=True),
        ),
        output_field=models.BooleanField(null=True),
        db_persist=True,
        editable=False,
    )


#: The contact's blocking keys (``normalize.MatchKeys``' fields, in order) and what they are computed from.
MATCH_KEY_FIELDS = ("match_initial_low", "match_initial_high", "match_final_low", "match_final_high", "match_birthday")
MATCH_KEY_SOURCES = frozenset({"first_name", "last_name", "birthday"})
#: The fields a contact's search and matching keys (``name_key`` and the blocking keys) are computed from.
DERIVED_KEY_SOURCES = MATCH_KEY_SOURCES | {"middle_name"}


class CustomerForeignKey(models.ForeignKey[Any, Any]):
    """A contact's ``customer``: deleting the customer deletes its contacts, taking locks first.

    ``on_delete=CASCADE`` becomes :func:`~django_customer_contacts.locking.cascade_to_contacts`:
    ``CASCADE`` after locking the customer and its contacts in the app's lock order (see
    "Concurrency" in the docs). Migrations see a plain ``ForeignKey`` with ``CASCADE``:
    the locks change nothing in the schema, so a host's own contact model needs no
    migration for them. A subclass that overrides ``customer`` uses this field to keep
    the locks.
    """

    def __init__(self, to: Any, on_delete: Any = models.CASCADE, **kwargs: Any) -> None:
        # Copies with another on_delete (the history model's DO_NOTHING) keep theirs.
        if on_delete is models.CASCADE:
            on_delete = cascade_to_contacts
        super().__init__(to, on_delete=on_delete, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        if kwargs["on_delete"] is cascade_to_contacts:
            kwargs["on_delete"] = models.CASCADE
        return name, "django.db.models.ForeignKey", args, kwargs


class AbstractContact(TimeStampedModel):
    """A person who speaks for a customer.

    Subclass this in your own app (keeping ``class Meta(AbstractContact.Meta)``) and
    name the subclass in ``CUSTOMER_CONTACTS_CONTACT_MODEL`` to add fields.
    """

    class Title(models.TextChoices):
        MR = "mr", _("Mr")
        MRS = "mrs", _("Mrs")
        MS = "ms", _("Ms")
        MISS = "miss", _("Miss")
        MX = "mx", _("Mx")
        DR = "dr", _("Dr")
        PROF = "prof", _("Prof")

    class ManagedBy(models.TextChoices):
        PROVIDER = "provider", _("Provider")
        CUSTOMER = "customer", _("Customer")

    class Channel(models.TextChoices):
        ANY = "any", _("Any")
        EMAIL = "email", _("Email")
        MOBILE_PHONE = "mobile_phone", _("Mobile phone")
        WORK_PHONE = "work_phone", _("Work phone")
        SMS = "sms", _("SMS")

    customer = CustomerForeignKey(
        CUSTOMER_MODEL,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("customer"),
    )
    title = models.CharField(_("title"), max_length=8, choices=Title.choices, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("An IANA time zone name, such as Europe/London."),
    )
    language = models.CharField(_("language"), max_length=15, blank=True, validators=[validate_language])
    notes = models.TextField(_("notes"), blank=True)
    # The full name normalised for duplicate detection; kept up to date by save().
    name_key = models.CharField(max_length=500, editable=False, db_index=True, default="")
    # Blocking keys of duplicate detection (normalize.match_keys), kept up to date by
    # save(), each indexed with the customer: contacts of one customer sharing one are
    # compared (see duplicates.py).
    match_initial_low = ExactKeyField(max_length=normalize.MATCH_KEY_LENGTH, editable=False, default="")
    match_initial_high = ExactKeyField(max_length=normalize.MATCH_KEY_LENGTH, editable=False, default="")
    match_final_low = ExactKeyField(max_length=normalize.MATCH_KEY_LENGTH, editable=False, default="")
    match_final_high = ExactKeyField(max_length=normalize.MATCH_KEY_LENGTH, editable=False, default="")
    match_birthday = ExactKeyField(max_length=10, editable=False, default="")

    is_primary = models.BooleanField(
        _("primary contact"),
        default=False,
        help_text=_("The customer's main contact. Each customer has at most one."),
    )
    primary_marker = primary_marker_field()
    is_active = models.BooleanField(_("active"), default=True)
    managed_by = models.CharField(_("managed by"), max_length=10, choices=ManagedBy.choices, default=ManagedBy.PROVIDER)

    email_allowed = models.BooleanField(_("email allowed"), default=False)
    sms_allowed = models.BooleanField(_("SMS allowed"), default=False)
    phone_allowed = models.BooleanField(_("phone calls allowed"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, default=Channel.ANY
    )
    automated_followups = models.BooleanField(_("automated follow-ups"), default=True)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(_("marketing consent given at"), null=True, blank=True)
    marketing_consent_source = models.CharField(
        _("marketing consent source"),
        max_length=255,
        blank=True,
        help_text=_("Where the consent was given, e.g. “web form” or “signed paper form”."),
    )
    receive_all_notifications = models.BooleanField(_("receive all notifications"), default=True)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer_contact",
        verbose_name=_("user account"),
    )
    last_contacted_at = models.DateTimeField(_("last contacted at"), null=True, blank=True)

    # One-time contacts exist for one host object only (a case, a ticket).
    scope_content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("one-time scope type"),
    )
    scope_object_id = models.CharField(_("one-time scope id"), max_length=64, blank=True, db_index=True)
    scope = GenericForeignKey("scope_content_type", "scope_object_id")

    history = FrozenHistoricalRecords(inherit=True)

    objects = ContactManager()

    if TYPE_CHECKING:
        # The reverse relations of the models below, whose foreign keys and
        # many-to-manys point at the swappable contact model: django-stubs puts them on
        # the concrete model only. Declared for type checkers alone: Django never sees these.
        emails: RelatedManager[ContactEmail]
        phones: RelatedManager[ContactPhone]
        notification_categories: ManyRelatedManager[NotificationCategory]
        tags: ManyRelatedManager[Tag]
        merge_records: RelatedManager[MergeRecord]

    class Meta:
        abstract = True
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "last_name", "first_name", "pk"]
        # The default ordering, over all contacts (the admin's list) and over one
        # customer's (its pages, recipients()): a page is read from the index, not sorted
        # from the whole table. The primary key, the ordering's last column, is in every
        # index entry already (InnoDB) or read in order within equal names (PostgreSQL);
        # its name is the subclass's, so Contact adds it (see there).
        # The last name: the admin's prefix search ("kowal", see ContactQuerySet.search_keys()).
        # And the blocking keys of duplicate detection, each with the customer (unnamed: Django
        # names them per concrete model, a host's own contact model too).
        indexes = [
            models.Index(fields=["-is_primary", "last_name", "first_name"], name="cc_%(class).14s_order"),
            models.Index(
                fields=["customer", "-is_primary", "last_name", "first_name"], name="cc_%(class).14s_cust_order"
            ),
            models.Index(fields=["last_name"], name="cc_%(class).14s_last_name"),
            *(models.Index(fields=["customer", name]) for name in MATCH_KEY_FIELDS),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "primary_marker"],
                name="%(app_label)s_%(class)s_one_primary_per_customer",
                violation_error_message=_("This customer already has a primary contact."),
            ),
            models.CheckConstraint(
                condition=Q(is_primary=False) | Q(is_active=True, scope_content_type__isnull=True),
                name="%(app_label)s_%(class)s_primary_is_active_and_regular",
                violation_error_message=_("A primary contact must be active and can't be a one-time contact."),
            ),
            models.CheckConstraint(
                condition=Q(scope_content_type__isnull=True, scope_object_id="")
                | (Q(scope_content_type__isnull=False) & ~Q(scope_object_id="")),
                name="%(app_label)s_%(class)s_scope_complete",
                violation_error_message=_("A one-time contact needs both a scope type and id."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    # -- names -----------------------------------------------------------------

    @property
    def full_name(self) -> str:
        """First, middle and last name joined by single spaces."""
        return join_names(self.first_name, self.middle_name, self.last_name)

    @property
    def display_name(self) -> str:
        """Title and full name, e.g. ``"Dr Jane Anne Smith"``."""
        # The title's label alone: get_title_display() translates every choice's label.
        choices = cast("models.CharField[Any, Any]", self._meta.get_field("title")).flatchoices
        title = dict(choices).get(self.title, self.title) if self.title else ""
        return titled_name(str(title), self.full_name)

    # -- contact points ----------------------------------------------------------

    @property
    def is_one_time(self) -> bool:
        return self.scope_content_type_id is not None

    def _primary_point(self, relation: str) -> Any:
        """The primary email or phone (``querysets.first_point``'s rule: else the oldest)."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get(relation)
        if prefetched is not None:
            return min(prefetched, key=lambda point: (not point.is_primary, point.pk), default=None)
        if self.pk is None:
            return None
        return getattr(self, relation).order_by("-is_primary", "pk").first()

    @property
    def email(self) -> str:
        """The primary email address, or ``""``."""
        point = self._primary_point("emails")
        return point.email if point else ""

    @property
    def phone(self) -> PhoneNumber | None:
        """The primary phone number, or ``None``."""
        point = self._primary_point("phones")
        return point.number if point else None

    def add_email(self, address: str, kind: str = "work", primary: bool = False) -> ContactEmail:
        """Validate and add an email address; the first one becomes primary.

        Spaces around the address are stripped. Raises ``ValidationError`` for an
        invalid address or one that ``EMAIL_UNIQUE`` says is taken.
        """
        return ContactEmail.objects.add(self, email=address, kind=kind, is_primary=primary)

    def add_phone(self, number: str, kind: str = "mobile", primary: bool = False) -> ContactPhone:
        """Validate and add a phone number (parsed with ``PHONENUMBER_DEFAULT_REGION``).

        The first one becomes primary. Raises ``ValidationError`` for a number that
        isn't valid.
        """
        return ContactPhone.objects.add(self, number=number, kind=kind, is_primary=primary)

    # -- validation and saving ----------------------------------------------------------

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[Any]] = {}
        if not (self.first_name.strip() or self.last_name.strip()):
            errors.setdefault("last_name", []).append(
                ValidationError(_("Enter a first name or a last name."), code="name_required")
            )
        if self.is_primary and not self.is_active:
            errors.setdefault("is_active", []).append(
                ValidationError(
                    _("The primary contact must stay active. Make another contact primary first."),
                    code="primary_inactive",
                )
            )
        if self.is_primary and self.is_one_time:
            errors.setdefault("is_primary", []).append(
                ValidationError(_("A one-time contact can't be the primary contact."), code="primary_one_time")
            )
        # Consent is evidence: when it was given (stamped by save()) and where.
        if self.marketing_consent and not self.marketing_consent_source.strip():
            errors.setdefault("marketing_consent_source", []).append(
                ValidationError(
                    _("Say where the marketing consent was given, e.g. “web form” or “signed paper form”."),
                    code="consent_source_required",
                )
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping ``name_key`` and the marketing consent evidence in step.

        Consent given (``marketing_consent`` on, no ``marketing_consent_at`` yet) is
        stamped with the current time; an explicit ``marketing_consent_at`` is kept.
        Consent withdrawn clears ``marketing_consent_at`` and ``marketing_consent_source``
        on the row: the evidence stays in history, and consent given again is stamped
        afresh. save() doesn't refuse consent without a source: ``clean()`` does.
        """
        from django.utils.timezone import now

        self.set_derived_keys()
        if self.marketing_consent and self.marketing_consent_at is None:
            self.marketing_consent_at = now()
        elif not self.marketing_consent:
            self.marketing_consent_at = None
            self.marketing_consent_source = ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "middle_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key"}
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and MATCH_KEY_SOURCES & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *MATCH_KEY_FIELDS}
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "marketing_consent" in update_fields:
            kwargs["update_fields"] = {*update_fields, "marketing_consent_at", "marketing_consent_source"}
        if self.is_primary and (not self.is_active or self.is_one_time):
            raise PrimaryContactError(_("A primary contact must be active and can't be a one-time contact."))
        if not (self._state.adding and self._should_become_primary()):
            super().save(*args, **kwargs)
            return
        self._save_claiming_primary(*args, **kwargs)

    def set_derived_keys(self) -> dict[str, str]:
        """Compute ``name_key`` and the blocking keys from the names and birthday, and
        return them by attname. ``save()`` calls it; so does every path that writes names
        with ``update()`` (undoing a merge, erasure) and ``rebuild_match_keys``."""
        self.name_key = normalize.name_key(self.full_name)
        self.set_match_keys()
        return {"name_key": self.name_key, **{name: getattr(self, name) for name in MATCH_KEY_FIELDS}}

    def set_match_keys(self) -> None:
        """Compute the blocking keys of duplicate detection from the names and birthday
        (``save()`` does; for rows written otherwise, see ``rebuild_match_keys``)."""
        birthday = self.birthday
        if isinstance(birthday, str):  # as a form or fixture may set it, not yet cleaned
            birthday = self._meta.get_field("birthday").to_python(birthday)
        keys = normalize.match_keys(self.first_name or "", self.last_name or "", birthday)
        for name, value in zip(MATCH_KEY_FIELDS, keys, strict=True):
            setattr(self, name, value)

    def _save_claiming_primary(self, *args: Any, **kwargs: Any) -> None:
        """Save a new contact, making it primary if its customer has none (``AUTO_PRIMARY``).

        Locks the customer row (``locking``) so two first contacts created at once
        can't both claim it.
        """
        model = type(self)
        using = kwargs.get("using") or db_for_write(self)
        with transaction.atomic(using=using):
            customer = lock_customer(self.customer_id, using)
            self.is_primary = bool(
                app_settings.primary_contact_allowed(customer)
                and not model._default_manager.using(using)
                .filter(customer_id=self.customer_id, is_primary=True)
                .exists()
            )
            super().save(*args, **kwargs)
            if self.is_primary:
                primary_contact_changed.send(sender=model, customer=customer, previous=None, contact=self, user=None)

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Delete the contact, its emails and phones (and whatever cascades from it).

        Locks the customer, then the contact, before Django's collector reads what to
        delete, and deletes the contact as it is then: one deleted or merged away
        meanwhile is left alone (``(0, {})`` is returned), so a merge that moved its rows
        to another contact keeps them. ``PrimaryContactError`` when it is the primary
        contact and another could take over; nothing is deleted then.
        """
        if self.pk is None:
            return super().delete(using=using, keep_parents=keep_parents)  # Django's ValueError
        using = using or db_for_write(self)
        # A savepoint, so a refused deletion (PrimaryContactError) leaves the
        # caller's transaction usable.
        with transaction.atomic(using=using):
            _customer, fresh = lock_contact(self, using)
            if fresh is None:
                return 0, {}
            # Deleted as it is now: signal receivers and history see the current values.
            for model_field in self._meta.concrete_fields:
                setattr(self, model_field.attname, getattr(fresh, model_field.attname))
            return super().delete(using=using, keep_parents=keep_parents)

    delete.alters_data = True  # type: ignore[attr-defined]

    def _should_become_primary(self) -> bool:
        return (
            app_settings.auto_primary
            and not self.is_primary
            and self.is_active
            and not self.is_one_time
            and self.customer_id is not None
        )


class Contact(AbstractContact):
    """The default contact model."""

    class Meta(AbstractContact.Meta):
        swappable = "CUSTOMER_CONTACTS_CONTACT_MODEL"
        # AbstractContact's ordering indexes with the key, this model's "id", as their last
        # column: PostgreSQL reads a deep page from the index alone (an index-only scan);
        # the blocking keys' indexes as AbstractContact has them.
        indexes = [
            # is_active last: the admin's list shows active contacts by default, and
            # reads that from the index entry too (a deep page: from the index alone).
            models.Index(fields=["-is_primary", "last_name", "first_name", "id", "is_active"], name="cc_contact_order"),
            models.Index(
                fields=["customer", "-is_primary", "last_name", "first_name", "id"], name="cc_contact_cust_order"
            ),
            models.Index(fields=["last_name"], name="cc_contact_last_name"),
            *(models.Index(fields=["customer", name]) for name in MATCH_KEY_FIELDS),
        ]


_Point = TypeVar("_Point", bound="ContactPoint")


class ContactPointQuerySet(models.QuerySet[_Point]):
    def add(self, contact: AbstractContact, **values: Any) -> _Point:
        """Create a contact point after full validation, as ``add_email``/``add_phone`` do."""
        point = self.model(contact=contact, **values)
        # save() demotes the old primary, so the one-primary constraint isn't checked here.
        point.full_clean(exclude=["primary_marker"])
        point.save()
        return point


class ContactPoint(TimeStampedModel):
    """What emails and phones share: a kind, and a primary one per contact."""

    is_primary = models.BooleanField(_("primary"), default=False)
    primary_marker = primary_marker_field()

    objects = ContactPointQuerySet.as_manager()

    if TYPE_CHECKING:
        # Each subclass declares its foreign key to the contact model.
        contact: AbstractContact
        contact_id: Any

    class Meta:
        abstract = True
        ordering = ["-is_primary", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "primary_marker"],
                name="%(app_label)s_%(class)s_one_primary_per_contact",
                violation_error_message=_("This contact already has a primary one."),
            ),
        ]

    def preferences_ticked_by_first(self, siblings: models.QuerySet[Self]) -> list[str]:
        """The contact's ``*_allowed`` fields this new point ticks (subclass hook)."""
        raise NotImplementedError

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; the first point becomes primary, a new primary demotes the old one.

        Runs in a transaction that locks the contact (see ``locking``), so points of one
        contact are written one after the other: the contact's other points of this
        kind are read after the lock (and the old primary saved) before this row is
        written. Raises ``ValidationError`` when the contact no longer exists.
        """
        using = kwargs.get("using") or db_for_write(self)
        with transaction.atomic(using=using):
            contact = self._lock_contact(using)
            self.check_locked(contact, using)
            # The plugin checks lookups against this abstract model, which has no ``contact``.
            siblings = type(self)._default_manager.using(using).filter(contact_id=self.contact_id)  # type: ignore[misc]
            if not self._state.adding:
                siblings = siblings.exclude(pk=self.pk)
            ticked: list[str] = []
            if self._state.adding:
                ticked = self.preferences_ticked_by_first(siblings)
                if not siblings.filter(is_primary=True).exists():
                    self.is_primary = True
            if self.is_primary:
                for old in siblings.filter(is_primary=True):
                    old.is_primary = False
                    old.save(update_fields=["is_primary"])
            super().save(*args, **kwargs)
            self._tick_preferences(contact, ticked)

    def check_locked(self, contact: AbstractContact, using: str) -> None:
        """Checks that must see every committed write (subclass hook).

        Run by ``save()`` after the locks, with the contact as read under them.
        """

    def _lock_contact(self, using: str) -> AbstractContact:
        """Lock the contact; return it, fresh.

        Not its customer: the admin saves the contact (locking its row) before its
        points, and a customer lock after that could deadlock with a merge.
        """
        fresh = lock_contacts([self.contact_id], using, no_key=True).get(self.contact_id)
        if fresh is None:
            raise ValidationError(
                {"contact": ValidationError(_("This contact no longer exists."), code="contact_gone")}
            )
        return fresh

    def _tick_preferences(self, contact: AbstractContact, names: list[str]) -> None:
        changed = [name for name in names if not getattr(contact, name)]
        if changed:
            for name in changed:
                setattr(contact, name, True)
                setattr(self.contact, name, True)
            contact.save(update_fields=changed)

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Delete; when the primary goes, the oldest remaining point takes over.

        Locks the contact, as ``save()`` does.
        """
        if self.pk is None:
            return super().delete(using=using, keep_parents=keep_parents)  # Django's ValueError
        using = using or db_for_write(self)
        with transaction.atomic(using=using):
            self._lock_contact(using)
            points = type(self)._base_manager.using(using)
            was_primary = points.filter(pk=self.pk, is_primary=True).exists()
            contact_id = self.contact_id
            result = super().delete(using=using, keep_parents=keep_parents)
            if was_primary:
                remaining = points.filter(contact_id=contact_id)  # type: ignore[misc]  # see save()
                successor = remaining.order_by("pk").first()
                if successor is not None:
                    successor.is_primary = True
                    successor.save(update_fields=["is_primary"])
            return result

    delete.alters_data = True  # type: ignore[attr-defined]


class ContactEmail(ContactPoint):
    class Kind(models.TextChoices):
        WORK = "work", _("Work")
        PERSONAL = "personal", _("Personal")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(
        CONTACT_MODEL, on_delete=models.CASCADE, related_name="emails", verbose_name=_("contact")
    )
    email = models.EmailField(_("email address"), max_length=254)
    # Lower-cased address: uniqueness and duplicate detection compare this, indexed.
    email_normalized = models.CharField(max_length=254, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORK)

    history = FrozenHistoricalRecords()
    tracker = FieldTracker(fields=["email"])

    class Meta(ContactPoint.Meta):
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        # A contact's primary email (querysets.first_point()) is the first entry, not a sort.
        indexes = [models.Index(fields=["contact", "-is_primary", "id"], name="cc_email_first")]
        constraints = [
            *ContactPoint.Meta.constraints,
            models.UniqueConstraint(
                fields=["contact", "email_normalized"],
                name="%(app_label)s_%(class)s_unique_per_contact",
                violation_error_message=_("This contact already has this email address."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def preferences_ticked_by_first(self, siblings: models.QuerySet[Self]) -> list[str]:
        return [] if siblings.exists() else ["email_allowed"]

    def clean_fields(self, exclude: Any = None) -> None:
        # Spaces around an address are a slip of the keyboard, not part of it: stripped
        # before the address is validated, as the admin's form does (add_email() too).
        if isinstance(self.email, str):
            self.email = self.email.strip()
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip()
        # Refused before the uniqueness check queries with it: PostgreSQL can't hold
        # NUL in text and would answer with a DataError.
        if "\x00" in self.email:
            raise ValidationError(
                {"email": ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")}
            )
        self.email_normalized = normalize.email_key(self.email)
        self._check_email_editable()
        self._check_email_unique()
        # Checked again by save(), under the locks: another contact may take the
        # address between this check and the save.
        self._unique_checked = True

    def _check_email_editable(self) -> None:
        if (
            not app_settings.email_editable
            and not self._state.adding
            and self.tracker.has_changed("email")
            and normalize.email_key(self.tracker.previous("email") or "") != normalize.email_key(self.email)
        ):
            raise ValidationError(
                {
                    "email": ValidationError(
                        _("Email addresses can't be changed. Remove this address and add the new one."),
                        code="email_not_editable",
                    )
                }
            )

    def _check_email_unique(self, customer_id: Any = None) -> None:
        """``EMAIL_UNIQUE``'s rule; ``customer_id`` is the contact's customer, if known.

        Also for a contact not saved yet (the admin's add page and a host's add view
        validate the emails before the contact is saved): then its customer, as the
        contact form set it, is the one checked.
        """
        scope = app_settings.email_unique
        contact = self._state.fields_cache.get("contact")
        if self.contact_id is None and contact is not None:
            customer_id = customer_id or contact.customer_id
        elif self.contact_id is not None:
            customer_id = customer_id or self.contact.customer_id
        else:
            return
        if not self.email_normalized:
            return
        others = ContactEmail._default_manager.filter(email_normalized=self.email_normalized)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        same_contact = others.filter(contact_id=self.contact_id) if self.contact_id is not None else others.none()
        if same_contact.exists():
            message = _("This contact already has the address %(email)s.")
        elif (
            scope == "customer" and customer_id is not None and others.filter(contact__customer_id=customer_id).exists()
        ):
            message = _("Another contact of this customer already uses %(email)s.")
        elif scope == "global" and others.exists():
            message = _("Another contact already uses %(email)s.")
        else:
            return
        raise ValidationError({"email": ValidationError(message, code="email_taken", params={"email": self.email})})

    @classmethod
    def move_refusal(cls, contact: AbstractContact, customer_id: Any) -> str | None:
        """Why ``contact``'s addresses can't go with it to the customer ``customer_id``
        (``EMAIL_UNIQUE="customer"``: another contact there uses one), or ``None``."""
        if app_settings.email_unique != "customer" or contact.pk is None or customer_id is None:
            return None
        mine = cls._default_manager.filter(contact_id=contact.pk)
        clash = (
            mine.filter(
                email_normalized__in=cls._default_manager.filter(contact__customer_id=customer_id)
                .exclude(contact_id=contact.pk)
                .values("email_normalized")
            )
            .order_by("pk")
            .first()
        )
        if clash is None:
            return None
        return _("Another contact of this customer already uses %(email)s.") % {"email": clash.email}

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; an address checked by ``clean()`` is checked again under the locks.

        ``EMAIL_UNIQUE`` holds for addresses that went through ``clean()``
        (``add_email()``, forms, ``full_clean()``): ``save()`` repeats the check after
        locking the contact and the row the writers of addresses share (one per
        customer, or one for all in "global" mode), so of two contacts taking one
        address at once, the second gets the ``ValidationError``. A plain ``save()``
        doesn't check it.
        """
        self.email_normalized = normalize.email_key(self.email)
        # Also guarded here, not only in clean(), so no code path can rewrite an address.
        self._check_email_editable()
        try:
            super().save(*args, **kwargs)
        finally:
            self._unique_checked = False

    def check_locked(self, contact: AbstractContact, using: str) -> None:
        if not getattr(self, "_unique_checked", False) or app_settings.email_unique is None:
            return
        scope = app_settings.email_unique
        lock_email_addresses(using, None if scope == "global" else contact.customer_id)
        self._check_email_unique(contact.customer_id)


class ContactPhone(ContactPoint):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        WORK = "work", _("Work")
        HOME = "home", pgettext_lazy("kind of phone number", "Home")
        OFFICE = "office", _("Office")
        FAX = "fax", _("Fax")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(
        CONTACT_MODEL, on_delete=models.CASCADE, related_name="phones", verbose_name=_("contact")
    )
    number = PhoneNumberField(_("number"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)

    history = FrozenHistoricalRecords()

    class Meta(ContactPoint.Meta):
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        # A contact's primary phone (querysets.first_point()) is the first entry, not a sort.
        indexes = [models.Index(fields=["contact", "-is_primary", "id"], name="cc_phone_first")]
        constraints = [
            *ContactPoint.Meta.constraints,
            models.UniqueConstraint(
                fields=["contact", "number"],
                name="%(app_label)s_%(class)s_unique_per_contact",
                violation_error_message=_("This contact already has this phone number."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.number)

    def preferences_ticked_by_first(self, siblings: models.QuerySet[Self]) -> list[str]:
        ticked = [] if siblings.exists() else ["phone_allowed"]
        is_first_mobile = not siblings.filter(kind=self.Kind.MOBILE).exists()
        if self.kind == self.Kind.MOBILE and is_first_mobile and app_settings.sms_enabled:
            ticked.append("sms_allowed")
        return ticked


class NotificationCategory(models.Model):
    """A kind of notification a contact can opt into (billing, outages, …)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Declared here rather than on the contact so a host's own contact model never
    # depends on this app's migrations (see "Use your own contact model" in the docs).
    contacts = models.ManyToManyField(
        CONTACT_MODEL,
        related_name="notification_categories",
        blank=True,
        verbose_name=_("contacts"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("notification category")
        verbose_name_plural = _("notification categories")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label on contacts; names are unique ignoring case."""

    name = models.CharField(_("name"), max_length=100)
    # Functional unique indexes are skipped on MariaDB, so the key (normalize.tag_key)
    # is stored and made unique instead, in a column every database compares exactly.
    name_key = ExactKeyField(max_length=normalize.TAG_KEY_LENGTH, unique=True, editable=False)
    contacts = models.ManyToManyField(CONTACT_MODEL, related_name="tags", blank=True, verbose_name=_("contacts"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name = " ".join(self.name.split())
        self.name_key = normalize.tag_key(self.name)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude: Any = None) -> None:
        # clean() reports a clash on the key with a message about the name.
        super().validate_unique(exclude={*(exclude or ()), "name_key"})

    def clean(self) -> None:
        super().clean()
        self.name = " ".join(self.name.split())
        self.name_key = normalize.tag_key(self.name)
        clash = Tag._default_manager.filter(name_key=self.name_key).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(
                {"name": ValidationError(_("A tag with this name already exists."), code="tag_exists")}
            )


class NamedLock(models.Model):  # noqa: DJ008 (never shown)
    """A row to lock for an operation that has no row of its own to lock.

    Writers of email addresses queue on ``"email-addresses:customer:<pk>"`` (one per
    customer, ``EMAIL_UNIQUE="customer"``) or ``"email-addresses"`` (``"global"``): see
    ``locking.lock_email_addresses``. Rows are created on first use and hold nothing else.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("lock")
        verbose_name_plural = _("locks")


class DuplicateScan(models.Model):  # noqa: DJ008 (never shown)
    """Duplicate detection's answer for one customer, kept until its contacts change.

    ``groups`` holds the groups ``find_duplicate_contacts()`` found among the customer's
    regular contacts, as JSON (see ``duplicate_store``), found with ``min_score`` by the
    matching of ``version``. A row that no :class:`DuplicateChange` of its customer
    follows is current; the search finds the groups of the other customers again.
    """

    # No constraint: storing an answer takes no lock on the customer's row, which the
    # writers of its contacts lock first (a deleted customer's row is deleted with it).
    customer = models.OneToOneField(
        CUSTOMER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("customer"),
    )
    version = models.PositiveSmallIntegerField(default=0)
    min_score = models.FloatField(default=0.0)
    groups = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("duplicate search")
        verbose_name_plural = _("duplicate searches")


class DuplicateChange(models.Model):  # noqa: DJ008 (never shown)
    """A customer's contacts changed since its :class:`DuplicateScan` was made.

    Written by every change that can change the customer's duplicates, in the writer's
    transaction (an INSERT: it waits for no lock and takes none another writer needs);
    deleted by the search that found the groups again having seen the change.
    ``customer`` is no constraint: a deleted customer's rows are deleted as seen.
    """

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        CUSTOMER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("customer"),
    )

    class Meta:
        verbose_name = _("contacts changed")
        verbose_name_plural = _("contacts changed")


class DuplicateDismissal(models.Model):
    """Two contacts staff said are not the same person ("Not duplicates").

    Duplicate detection never links them again; deleting the row undoes it (history
    keeps both). The contacts are named by their pks as text, in sorted order, not by
    foreign keys: a merge repoints every foreign key to the merged contact, which would
    turn the pair into a contact and itself; a pair naming a contact merged away or
    deleted simply never comes up, and comes back with the contact if a merge is undone.
    """

    first_contact_id = models.CharField(_("first contact"), max_length=64)
    second_contact_id = models.CharField(_("second contact"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    created = models.DateTimeField(_("dismissed at"), auto_now_add=True)

    history = FrozenHistoricalRecords()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("dismissed duplicate")
        verbose_name_plural = _("dismissed duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["first_contact_id", "second_contact_id"], name="%(app_label)s_%(class)s_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return _("Contacts %(first)s and %(second)s are not duplicates") % {
            "first": self.first_contact_id,
            "second": self.second_contact_id,
        }

    @staticmethod
    def pair_key(first: Any, second: Any) -> tuple[str, str]:
        """The two pks as stored: text, in sorted order."""
        low, high = sorted((str(first), str(second)))
        return low, high


class MergeRecord(models.Model):
    """One row per merge: who merged what into which contact, with full snapshots.

    Written by :func:`~django_customer_contacts.services.merge_contacts`, inside the
    merge. Enough to explain a merge and to undo it by hand:

    ``merged_ids``
        The pks of the contacts merged into ``contact`` (and deleted).
    ``snapshots``
        By merged contact pk: ``fields`` (every field, as it was), ``emails`` and
        ``phones`` (every row), ``notification_categories`` and ``tags`` (pks), ``user``
        (the linked user's pk) and ``dropped``: by relation, the rows that weren't moved
        because main already had the same.
    ``moved``
        By relation (``"app_label.model.field"``): ``moved`` and ``dropped``, each the
        row pks by merged contact pk.
    ``field_sources``
        For each field of main the merge changed, the pk of the contact the value came
        from.
    ``survivor``
        Main as the merge found it: ``pk`` (``contact`` follows main into later merges;
        this stays), ``before`` and ``after``: the values of the fields the merge
        changed, by attname, with ``is_primary`` and (before) ``modified``.
    ``undone_at``, ``undone_by``, ``undo_reason``, ``undo_notes``
        Set by :func:`~django_customer_contacts.services.unmerge`: when, by whom, why,
        and what the undo kept as it was (sentences).
    """

    contact = models.ForeignKey(
        CONTACT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="merge_records",
        verbose_name=_("surviving contact"),
    )
    merged_ids = models.JSONField(_("merged contact ids"), default=list)
    snapshots = models.JSONField(_("snapshots of the merged contacts"), default=dict)
    moved = models.JSONField(_("rows moved per relation"), default=dict)
    field_sources = models.JSONField(_("where the surviving contact's changed values came from"), default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created = models.DateTimeField(_("merged at"), auto_now_add=True)
    survivor = models.JSONField(_("the surviving contact before and after the merge"), default=dict)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )
    undo_reason = models.TextField(_("reason for the undo"), blank=True)
    undo_notes = models.JSONField(_("what the undo kept as it was"), default=list)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("merge record")
        verbose_name_plural = _("merge records")

    def __str__(self) -> str:
        return _("Merge of %(ids)s") % {"ids": ", ".join(str(pk) for pk in self.merged_ids)}

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class ContactPermission(models.Model):  # noqa: DJ008 (never instantiated)
    """Holds the app's custom permissions; it has no table.

    The permissions live here, not on ``Contact``, so that they are always
    ``customer_contacts.<codename>`` — also when a host swaps in its own contact model.
    """

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("contact permission")
        verbose_name_plural = _("contact permissions")
        permissions = [
            ("merge_contact", _("Can merge contacts")),
            ("set_primary_contact", _("Can set the primary contact")),
            ("export_contact", _("Can export contacts")),
            ("change_customer_managed_contact", _("Can change contacts managed by the customer")),
            ("unmerge_contact", _("Can undo a merge of contacts")),
            ("erase_contact", _("Can erase a contact's personal data")),
        ]
