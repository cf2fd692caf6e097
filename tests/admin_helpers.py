"""Helpers shared by the admin tests."""

from django.contrib.messages import get_messages
from django.urls import reverse

from django_customer_contacts import get_contact_model


def url(name, *args):
    """The admin URL ``name`` (changelist, change, merge, …) of the active contact model."""
    opts = get_contact_model()._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]
