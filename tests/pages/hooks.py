"""Host hooks of the customer pages used by the tests (``CUSTOMER_ACCESS``, ``ONE_TIME_SCOPE``)."""

from django.apps import apps


def own_customers_only(user, customer):
    """A multi-tenant CRM: a dealer sees only the customers named in its groups ("customer:<pk>")."""
    return user.is_active and user.groups.filter(name=f"customer:{customer.pk}").exists()


def case_model():
    label = "hostapp" if apps.is_installed("tests.hostapp") else "swapcrm"
    return apps.get_model(label, "Case")


def case_by_pk(request, customer, value):
    """``?scope=<case pk>``: the case, or ``None`` for anything else."""
    if not value.isdigit():
        return None
    return case_model().objects.filter(pk=int(value)).first()
