"""Example callables for the options (``PRIMARY_CONTACT_ALLOWED``, ``SCOPE_OPEN``) used by the tests."""


def business_only(customer):
    return customer.is_business


def private_only(customer):
    return not customer.is_business


# -- SCOPE_OPEN callables ---------------------------------------------------------------


def case_is_open(scope):
    """A ``SCOPE_OPEN`` that answers with a bool (no query)."""
    return getattr(scope, "closed_at", None) is None


def case_open_filter(scope):
    """A ``SCOPE_OPEN`` that answers with a filter on the scope's model (tested in the query)."""
    from django.db.models import Q

    return Q(closed_at__isnull=True)


def scope_open_by_mistake(scope):
    """A ``SCOPE_OPEN`` that forgot to return."""
