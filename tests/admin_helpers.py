"""Helpers shared by the admin tests."""

import datetime

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from django_customer_contacts import get_contact_model


def url(name, *args):
    """The admin URL ``name`` (changelist, change, merge, …) of the active contact model."""
    opts = get_contact_model()._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)


def customer_url(customer):
    opts = type(customer)._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[customer.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def contact_permissions(*actions):
    """The contact model's own permissions for ``actions`` (view, change, add, delete)."""
    opts = get_contact_model()._meta
    return list(
        Permission.objects.filter(
            content_type__app_label=opts.app_label, codename__in=[f"{a}_{opts.model_name}" for a in actions]
        )
    )


def app_permissions(*codenames):
    """The app's custom permissions (``customer_contacts.<codename>``)."""
    return list(Permission.objects.filter(content_type__app_label="customer_contacts", codename__in=codenames))


def staff_user(django_user_model, username, permissions):
    user = django_user_model.objects.create_user(username, is_staff=True)
    user.user_permissions.add(*permissions)
    return django_user_model.objects.get(pk=user.pk)  # no stale permission cache


def form_data(form, **changes):
    """What a browser posts for ``form`` as it is shown, with ``changes`` on top."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            continue
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif isinstance(value, datetime.date | datetime.datetime):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def page_form(response):
    """The form of an admin change page or history version page."""
    return response.context["adminform"].form


def page_data(response, **changes):
    """What a browser posts for the admin page in ``response`` as it is shown: the form,
    and every inline formset with its management form; ``changes`` on top."""
    data = form_data(page_form(response))
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
