"""Example ``PRIMARY_CONTACT_ALLOWED`` callables used by the tests."""


def business_only(customer):
    return customer.is_business


def private_only(customer):
    return not customer.is_business
