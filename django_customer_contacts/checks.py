"""System checks for the app's settings. Each id has a test in ``tests/test_checks.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import models
from django.utils.module_loading import import_string

from .conf import DEFAULTS, DUPLICATE_MATCHING_CHOICES, EMAIL_UNIQUE_CHOICES, app_settings

BOOLEAN_OPTIONS = ("AUTO_PRIMARY", "EMAIL_EDITABLE", "SMS_ENABLED")
COUNT_OPTIONS = ("UNUSED_AFTER_DAYS", "UNUSED_REVIEW_THRESHOLD")


def _get_model(label: object) -> type[models.Model] | None:
    if not isinstance(label, str) or label.count(".") != 1:
        return None
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def customer_relation_resolved() -> bool:
    """Whether the contact model's ``customer`` foreign key points at a loaded model.

    It doesn't when the host forgot ``CUSTOMER_CONTACTS_CUSTOMER_MODEL`` or named a model
    that isn't installed (``customer_contacts.E001``): the relation then names a model
    that never loads, and Django can't build form fields or admin checks on it. The
    contact form and ``ContactInline`` wait for it, so that ``manage.py check`` gets as
    far as saying what is wrong.
    """
    from . import get_contact_model

    try:
        remote = get_contact_model()._meta.get_field("customer").remote_field
    except Exception:  # no contact model, or one without a customer: customer_contacts.E002
        return False
    return remote is not None and not isinstance(remote.model, str)


def check_customer_model() -> list[Error]:
    label = getattr(settings, "CUSTOMER_CONTACTS_CUSTOMER_MODEL", None)
    if not label:
        return [
            Error(
                "CUSTOMER_CONTACTS_CUSTOMER_MODEL is not set.",
                hint="Name your customer model in settings, e.g. CUSTOMER_CONTACTS_CUSTOMER_MODEL = 'crm.Customer'.",
                id="customer_contacts.E001",
            )
        ]
    if _get_model(label) is None:
        return [
            Error(
                f"CUSTOMER_CONTACTS_CUSTOMER_MODEL refers to {label!r}, which is not an installed model.",
                hint="Use the form 'app_label.ModelName' and make sure the app is in INSTALLED_APPS.",
                id="customer_contacts.E001",
            )
        ]
    return []


def check_contact_model() -> list[Error]:
    from .models import AbstractContact

    label = app_settings.contact_model
    model = _get_model(label)
    if model is None:
        return [
            Error(
                f"CUSTOMER_CONTACTS_CONTACT_MODEL refers to {label!r}, which is not an installed model.",
                hint="Use 'customer_contacts.Contact' or 'app_label.ModelName' of your subclass of AbstractContact.",
                id="customer_contacts.E002",
            )
        ]
    if not issubclass(model, AbstractContact):
        return [
            Error(
                f"CUSTOMER_CONTACTS_CONTACT_MODEL {label!r} is not a subclass of AbstractContact.",
                hint="Subclass django_customer_contacts.models.AbstractContact.",
                id="customer_contacts.E002",
            )
        ]
    constraint_fields = {tuple(getattr(c, "fields", ())) for c in model._meta.constraints}
    if ("customer", "primary_marker") not in constraint_fields:
        return [
            Error(
                f"{label} does not keep AbstractContact's constraints, so the database would "
                "accept two primary contacts for one customer.",
                hint="Declare the model's Meta as 'class Meta(AbstractContact.Meta):'.",
                obj=model,
                id="customer_contacts.E003",
            )
        ]
    return []


def _check_callable_option(options: dict[str, Any], name: str, hint: str, check_id: str) -> list[Error]:
    """An option that holds a callable or its dotted path (``None``: the default)."""
    value = options.get(name)
    if value is None or callable(value):
        return []
    try:
        target = import_string(value)
    except (ImportError, TypeError, ValueError, AttributeError) as exc:
        return [Error(f"CUSTOMER_CONTACTS[{name!r}] = {value!r} can't be imported: {exc}", hint=hint, id=check_id)]
    if not callable(target):
        return [Error(f"CUSTOMER_CONTACTS[{name!r}] = {value!r} is not callable.", hint=hint, id=check_id)]
    return []


def check_options() -> list[Error]:
    options = getattr(settings, "CUSTOMER_CONTACTS", None) or {}
    if not isinstance(options, dict):
        return [
            Error(
                "CUSTOMER_CONTACTS must be a dict.",
                hint=f"Options: {', '.join(sorted(DEFAULTS))}.",
                id="customer_contacts.E004",
            )
        ]
    errors: list[Error] = []
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        errors.append(
            Error(
                f"CUSTOMER_CONTACTS has unknown option(s): {', '.join(map(str, unknown))}.",
                hint=f"Known options: {', '.join(sorted(DEFAULTS))}.",
                id="customer_contacts.E004",
            )
        )
    errors += _check_callable_option(
        options,
        "PRIMARY_CONTACT_ALLOWED",
        "Give the dotted path of a callable taking a customer and returning a bool.",
        "customer_contacts.E005",
    )
    errors += _check_callable_option(
        options,
        "SCOPE_OPEN",
        "Give the dotted path of a callable taking a one-time contact's scope (a case, a ticket) "
        "and returning True, False or a Q filter on the scope's model.",
        "customer_contacts.E010",
    )
    errors += check_page_options(options)
    if options.get("EMAIL_UNIQUE", "customer") not in EMAIL_UNIQUE_CHOICES:
        errors.append(
            Error(
                f"CUSTOMER_CONTACTS['EMAIL_UNIQUE'] = {options['EMAIL_UNIQUE']!r} is not one of "
                "'customer', 'global' or None.",
                id="customer_contacts.E006",
            )
        )
    for name in BOOLEAN_OPTIONS:
        if name in options and not isinstance(options[name], bool):
            errors.append(
                Error(
                    f"CUSTOMER_CONTACTS[{name!r}] must be True or False, not {options[name]!r}.",
                    id="customer_contacts.E007",
                )
            )
    if options.get("DUPLICATE_MATCHING", "scored") not in DUPLICATE_MATCHING_CHOICES:
        errors.append(
            Error(
                f"CUSTOMER_CONTACTS['DUPLICATE_MATCHING'] = {options['DUPLICATE_MATCHING']!r} is not "
                "'scored' or 'exact'.",
                id="customer_contacts.E014",
            )
        )
    score = options.get("DUPLICATE_MIN_SCORE", 0.5)
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
        errors.append(
            Error(
                f"CUSTOMER_CONTACTS['DUPLICATE_MIN_SCORE'] must be a number above 0 and at most 1, not {score!r}.",
                hint="0.5, the default, was chosen on generated data: see “Finding duplicates” in the docs.",
                id="customer_contacts.E015",
            )
        )
    for name in COUNT_OPTIONS:
        value = options.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"CUSTOMER_CONTACTS[{name!r}] must be a whole number of at least 1, not {value!r}.",
                    id="customer_contacts.E008",
                )
            )
    return errors


def check_page_options(options: dict[str, Any]) -> list[Error]:
    """The options of the customer pages (``django_customer_contacts.urls``)."""
    errors = _check_callable_option(
        options,
        "CUSTOMER_ACCESS",
        "Give the dotted path of a callable taking a user and a customer and returning True "
        "when the user may see that customer's contacts.",
        "customer_contacts.E011",
    )
    errors += _check_callable_option(
        options,
        "ONE_TIME_SCOPE",
        "Give the dotted path of a callable taking the request, the customer and the page's "
        "?scope= value, and returning the scope object (a case, a ticket) or None.",
        "customer_contacts.E012",
    )
    base_template = options.get("BASE_TEMPLATE", DEFAULTS["BASE_TEMPLATE"])
    if not isinstance(base_template, str) or not base_template.strip():
        errors.append(
            Error(
                f"CUSTOMER_CONTACTS['BASE_TEMPLATE'] = {base_template!r} is not a template name.",
                hint="Name the template the customer pages extend, e.g. 'crm/base.html'; it needs "
                "the blocks 'title' and 'content'.",
                id="customer_contacts.E013",
            )
        )
    elif "BASE_TEMPLATE" in options:
        # Only a template the host names: a host that doesn't use the pages needs no template.
        from django.template import TemplateDoesNotExist, loader

        try:
            loader.get_template(base_template)
        except TemplateDoesNotExist:
            errors.append(
                Error(
                    f"CUSTOMER_CONTACTS['BASE_TEMPLATE'] = {base_template!r} can't be found.",
                    hint="Check the name and that its folder is in TEMPLATES (DIRS or an app's templates/).",
                    id="customer_contacts.E013",
                )
            )
    return errors


def check_contact_admin_class() -> list[Error]:
    path = app_settings.contact_admin_class if isinstance(app_settings.options, dict) else None
    if path is None:
        return []
    hint = "Give the dotted path of a ModelAdmin subclass (or None to register the contact admin yourself)."
    try:
        target = import_string(path) if isinstance(path, str) else path
    except (ImportError, TypeError, ValueError) as exc:
        return [
            Error(
                f"CUSTOMER_CONTACTS['CONTACT_ADMIN_CLASS'] = {path!r} can't be imported: {exc}",
                hint=hint,
                id="customer_contacts.E009",
            )
        ]
    from django.contrib.admin import ModelAdmin

    if not (isinstance(target, type) and issubclass(target, ModelAdmin)):
        return [
            Error(
                f"CUSTOMER_CONTACTS['CONTACT_ADMIN_CLASS'] = {path!r} is not a ModelAdmin subclass.",
                hint=hint,
                id="customer_contacts.E009",
            )
        ]
    return []


@register(Tags.models)
def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    return [*check_customer_model(), *check_contact_model(), *check_options(), *check_contact_admin_class()]
