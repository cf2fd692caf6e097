"""Logins for contacts: ``enable_login``."""

import pytest
from django.contrib.auth import get_user_model

from django_customer_contacts import get_contact_model
from django_customer_contacts.exceptions import LoginError
from django_customer_contacts.services import enable_login


@pytest.fixture
def jane(contact):
    contact.add_email("Jane.Smith@Example.com")
    contact.add_email("jane@home.example.com", kind="personal")
    return contact


def test_enable_login_creates_a_user_for_the_primary_email(jane):
    user = enable_login(jane)
    assert user.get_username() == "jane.smith@example.com"
    assert user.email == "Jane.Smith@Example.com"
    assert (user.first_name, user.last_name) == ("Jane", "Smith")
    assert jane.user == user
    jane.refresh_from_db()
    assert jane.user_id == user.pk


def test_the_new_user_has_no_groups_permissions_or_password(jane):
    user = get_user_model().objects.get(pk=enable_login(jane).pk)
    assert not user.has_usable_password()
    assert not user.groups.exists()
    assert not user.user_permissions.exists()
    assert user.get_all_permissions() == set()
    assert not user.is_staff and not user.is_superuser
    assert user.is_active


def test_linking_the_user_is_in_history(jane):
    user = enable_login(jane)
    assert jane.history.latest().user_id == user.pk


def test_a_contact_without_email_is_refused(contact):
    users = get_user_model().objects.count()
    with pytest.raises(LoginError, match="no email address"):
        enable_login(contact)
    assert get_user_model().objects.count() == users
    contact.refresh_from_db()
    assert contact.user is None


def test_a_contact_with_a_user_is_refused(jane):
    enable_login(jane)
    users = get_user_model().objects.count()
    with pytest.raises(LoginError, match="already has a user account"):
        enable_login(jane)
    assert get_user_model().objects.count() == users


def test_a_stale_instance_cant_create_a_second_user(jane):
    stale = get_contact_model().objects.get(pk=jane.pk)
    enable_login(jane)
    with pytest.raises(LoginError, match="already has a user account"):
        enable_login(stale)


def test_an_existing_username_is_never_linked_silently(jane, django_user_model):
    someone = django_user_model.objects.create_user("JANE.SMITH@example.com", password="pw")
    with pytest.raises(LoginError, match="already exists"):
        enable_login(jane)
    jane.refresh_from_db()
    assert jane.user is None
    assert django_user_model.objects.filter(pk=someone.pk).count() == 1
    assert django_user_model.objects.count() == 1


def test_an_inactive_contact_is_refused(customer, make_contact):
    make_contact(customer, first_name="Primary")
    gone = make_contact(customer, first_name="Gone", is_active=False)
    gone.add_email("gone@example.com")
    with pytest.raises(LoginError, match="inactive"):
        enable_login(gone)


def test_an_unsaved_contact_is_refused(customer):
    with pytest.raises(LoginError, match="Save the contact"):
        enable_login(get_contact_model()(customer=customer, last_name="New"))
