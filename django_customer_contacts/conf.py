"""Lazy, typed access to the app's settings.

Every property reads ``django.conf.settings`` when it is used, so
``override_settings`` in tests and settings changed at runtime just work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Q

DEFAULT_CONTACT_MODEL = "customer_contacts.Contact"

#: Options accepted inside the ``CUSTOMER_CONTACTS`` dict, with their defaults.
DEFAULTS: dict[str, Any] = {
    "PRIMARY_CONTACT_ALLOWED": None,
    "AUTO_PRIMARY": True,
    "EMAIL_UNIQUE": "customer",
    "EMAIL_EDITABLE": True,
    "UNUSED_AFTER_DAYS": 182,
    "UNUSED_REVIEW_THRESHOLD": 30,
    "SMS_ENABLED": True,
    "CONTACT_ADMIN_CLASS": "django_customer_contacts.admin.ContactAdmin",
    "SCOPE_OPEN": None,
    # The customer pages (django_customer_contacts.urls).
    "CUSTOMER_ACCESS": None,
    "ONE_TIME_SCOPE": None,
    "BASE_TEMPLATE": "customer_contacts/base.html",
    "DUPLICATE_MATCHING": "scored",
    "DUPLICATE_MIN_SCORE": 0.5,
}

DUPLICATE_MATCHING_CHOICES = ("scored", "exact")

EMAIL_UNIQUE_CHOICES = ("customer", "global", None)

EmailUnique = Literal["customer", "global"] | None


def _always_allowed(customer: Any) -> bool:
    return True


#: The method a scope object (a case, a ticket) may define to say whether it is still open.
SCOPE_OPEN_METHOD = "customer_contacts_open"


def scope_open_by_method(scope: Any) -> bool | Q:
    """The default ``SCOPE_OPEN``: the scope's ``customer_contacts_open()``, else open."""
    method = getattr(scope, SCOPE_OPEN_METHOD, None)
    if method is None:
        return True
    answer: bool | Q = method()
    return answer


class AppSettings:
    """The ``CUSTOMER_CONTACTS_*`` settings and ``CUSTOMER_CONTACTS`` options."""

    @property
    def customer_model(self) -> str | None:
        return getattr(settings, "CUSTOMER_CONTACTS_CUSTOMER_MODEL", None)

    @property
    def contact_model(self) -> str:
        return getattr(settings, "CUSTOMER_CONTACTS_CONTACT_MODEL", DEFAULT_CONTACT_MODEL)

    @property
    def options(self) -> dict[str, Any]:
        return getattr(settings, "CUSTOMER_CONTACTS", None) or {}

    def _option(self, name: str) -> Any:
        return self.options.get(name, DEFAULTS[name])

    @property
    def primary_contact_allowed(self) -> Callable[[Any], bool]:
        value = self._option("PRIMARY_CONTACT_ALLOWED")
        if value is None:
            return _always_allowed
        # A callable, or its dotted path: checked by customer_contacts.E005.
        allowed: Callable[[Any], bool] = value if callable(value) else import_string(value)
        return allowed

    @property
    def scope_open(self) -> Callable[[Any], bool | Q]:
        """Whether a one-time contact's scope is still open: ``callable(scope) -> bool | Q``."""
        value = self._option("SCOPE_OPEN")
        if value is None:
            return scope_open_by_method
        # A callable, or its dotted path: checked by customer_contacts.E010.
        is_open: Callable[[Any], bool | Q] = value if callable(value) else import_string(value)
        return is_open

    @property
    def customer_access(self) -> Callable[[Any, Any], bool] | None:
        """Whether a user may see a customer on the customer pages: ``callable(user, customer) -> bool``.

        ``None``: the default rule (``permissions.default_customer_access()``).
        """
        value = self._option("CUSTOMER_ACCESS")
        if value is None:
            return None
        # A callable, or its dotted path: checked by customer_contacts.E011.
        access: Callable[[Any, Any], bool] = value if callable(value) else import_string(value)
        return access

    @property
    def one_time_scope(self) -> Callable[[Any, Any, str], Any] | None:
        """The scope a customer page's ``?scope=`` names: ``callable(request, customer, value)``,
        returning the scope object (a case, a ticket) or ``None``. ``None``: no one-time
        contacts are made on the customer pages.
        """
        value = self._option("ONE_TIME_SCOPE")
        if value is None:
            return None
        # A callable, or its dotted path: checked by customer_contacts.E012.
        resolve: Callable[[Any, Any, str], Any] = value if callable(value) else import_string(value)
        return resolve

    @property
    def base_template(self) -> str:
        """The template the customer pages extend (checked by customer_contacts.E013)."""
        return str(self._option("BASE_TEMPLATE"))

    @property
    def auto_primary(self) -> bool:
        return bool(self._option("AUTO_PRIMARY"))

    @property
    def email_unique(self) -> EmailUnique:
        value: EmailUnique = self._option("EMAIL_UNIQUE")  # checked by customer_contacts.E006
        return value

    @property
    def email_editable(self) -> bool:
        return bool(self._option("EMAIL_EDITABLE"))

    @property
    def unused_after_days(self) -> int:
        return int(self._option("UNUSED_AFTER_DAYS"))

    @property
    def unused_review_threshold(self) -> int:
        return int(self._option("UNUSED_REVIEW_THRESHOLD"))

    @property
    def sms_enabled(self) -> bool:
        return bool(self._option("SMS_ENABLED"))

    @property
    def duplicate_matching(self) -> str:
        """``"scored"`` or ``"exact"``: how ``find_duplicate_contacts()`` links contacts."""
        return str(self._option("DUPLICATE_MATCHING"))  # checked by customer_contacts.E011

    @property
    def duplicate_min_score(self) -> float:
        """The score (0 to 1) two contacts need to be taken for duplicates."""
        return float(self._option("DUPLICATE_MIN_SCORE"))  # checked by customer_contacts.E012

    @property
    def contact_admin_class(self) -> Any:
        """The dotted path (or class) of the contact's ``ModelAdmin``; ``None``: not registered."""
        return self._option("CONTACT_ADMIN_CLASS")


app_settings = AppSettings()
