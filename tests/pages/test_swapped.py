"""The customer pages with a host's own contact model (tests/swapcrm): its own fields are
on the contact form, and a UUID-keyed customer is found from the URL."""

from django_customer_contacts import get_contact_model
from tests.pages.helpers import new_contact_data, page


def test_the_hosts_own_fields_are_on_the_contact_form(clerk_client, customer):
    response = clerk_client.get(page("contact_add", customer))
    assert "loyalty_number" in response.context["form"].fields
    assert "interests" in response.context["form"].fields
    data = new_contact_data(loyalty_number="L-123")
    assert clerk_client.post(page("contact_add", customer), data).status_code == 302
    assert get_contact_model().objects.get().loyalty_number == "L-123"


def test_a_uuid_customer_key_in_the_url(clerk_client, customer, make_contact):
    make_contact(customer, first_name="Ann")
    assert len(str(customer.pk)) == 36
    response = clerk_client.get(page("contact_list", customer))
    assert [row["contact"].first_name for row in response.context["contacts"]] == ["Ann"]
