"""Inviting a contact to sign in: a mail whose link sets the password through Django's own views.

``enable_login()`` makes an account with no usable password, which Django's stock
password reset skips; the invitation is how the person gets in.
"""

import re

import django
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import RequestFactory, override_settings

from django_customer_contacts.exceptions import LoginError
from django_customer_contacts.services import enable_login, send_login_invitation

LINK = re.compile(r"https?://(?P<domain>[^/\s]+)(?P<path>/accounts/reset/[^\s]+/)")


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture
def jane(contact):
    contact.add_email("Jane.Smith@Example.com")
    return contact


@pytest.fixture
def request_(rf: RequestFactory, settings):
    settings.ALLOWED_HOSTS = ["crm.example.com", "testserver"]
    return rf.get("/", HTTP_HOST="crm.example.com")


def invitation_link(message):
    match = LINK.search(message.body)
    assert match, message.body
    return match


def set_password_through_djangos_views(client, path, password="a fresh Passw0rd!"):
    """Follow the link as a person would: Django's PasswordResetConfirmView, then log in."""
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert response.context["validlink"], "the link was refused"
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    return password


def test_djangos_own_password_reset_skips_an_account_enable_login_made(jane):
    """Why the invitation exists: the docs' "send a reset link" reached nobody."""
    enable_login(jane)
    form = PasswordResetForm({"email": "jane.smith@example.com"})
    assert form.is_valid()
    form.save(domain_override="crm.example.com")
    assert mail.outbox == []


def test_the_invitation_lets_the_person_set_a_password_and_sign_in(jane, client, request_):
    user = send_login_invitation(jane, request=request_)
    [message] = mail.outbox
    assert message.to == ["Jane.Smith@Example.com"]
    assert "crm.example.com" in message.subject
    assert "jane.smith@example.com" in message.body  # the username
    link = invitation_link(message)
    assert link["domain"] == "crm.example.com"
    password = set_password_through_djangos_views(client, link["path"])
    user.refresh_from_db()
    assert user.has_usable_password()
    assert client.login(username="jane.smith@example.com", password=password)


def test_the_link_works_once(jane, client, request_):
    send_login_invitation(jane, request=request_)
    path = invitation_link(mail.outbox[0])["path"]
    set_password_through_djangos_views(client, path)
    client.logout()
    response = client.get(path, follow=True)
    assert response.context["validlink"] is False


def test_a_contact_without_an_account_gets_one(jane, request_):
    user = send_login_invitation(jane, request=request_)
    jane.refresh_from_db()
    assert jane.user_id == user.pk
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1


def test_an_account_not_yet_activated_can_be_invited_again(jane, request_):
    first = send_login_invitation(jane, request=request_)
    second = send_login_invitation(jane, request=request_)
    assert first.pk == second.pk
    assert len(mail.outbox) == 2
    assert get_user_model().objects.filter(pk=first.pk).count() == 1


def test_an_account_with_a_password_is_refused(jane, request_):
    user = enable_login(jane)
    user.set_password("already chosen")
    user.save()
    with pytest.raises(LoginError, match="already has a password"):
        send_login_invitation(jane, request=request_)
    assert mail.outbox == []


def test_an_inactive_account_is_refused(jane, request_):
    user = enable_login(jane)
    user.is_active = False
    user.save()
    with pytest.raises(LoginError, match="inactive"):
        send_login_invitation(jane, request=request_)
    assert mail.outbox == []


def test_a_contact_without_email_is_refused_and_nothing_is_created(contact, request_):
    users = get_user_model().objects.count()
    with pytest.raises(LoginError, match="no email address"):
        send_login_invitation(contact, request=request_)
    assert get_user_model().objects.count() == users
    assert mail.outbox == []


def test_an_inactive_contact_is_refused(jane, customer, make_contact, request_):
    former = make_contact(customer, first_name="Former", is_active=False)
    former.add_email("former@example.com")
    with pytest.raises(LoginError, match="inactive"):
        send_login_invitation(former, request=request_)
    assert mail.outbox == []


def test_without_a_request_the_domain_must_be_given(jane):
    with pytest.raises(ValueError, match="domain_override"):
        send_login_invitation(jane)
    send_login_invitation(jane, domain_override="portal.example.com", use_https=True)
    link = LINK.search(mail.outbox[0].body)
    assert link.group(0).startswith("https://portal.example.com/accounts/reset/")


def test_a_mail_that_cant_be_sent_is_a_login_error_and_can_be_sent_again(jane, request_):
    failing = f"{__name__}.FailingBackend"
    if django.VERSION >= (6, 1):  # MAILERS replaces EMAIL_BACKEND
        mail_server_down = override_settings(MAILERS={"default": {"BACKEND": failing}})
    else:
        mail_server_down = override_settings(EMAIL_BACKEND=failing)
    with mail_server_down, pytest.raises(LoginError, match="couldn't be sent"):
        send_login_invitation(jane, request=request_)
    send_login_invitation(jane, request=request_)
    assert len(mail.outbox) == 1


LOCMEM_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "portal/subject.txt": "Welcome to the portal,\n{{ contact.first_name }}",
                        "portal/body.txt": "{{ greeting }} {{ protocol }}://{{ domain }}"
                        "{% url 'password_reset_confirm' uidb64=uid token=token %}",
                        "portal/language.txt": "{% load i18n %}{% get_current_language as lang %}{{ lang }}",
                        "portal/body.html": (
                            "<a href=\"{% url 'password_reset_confirm' uidb64=uid token=token %}\">Go</a>"
                        ),
                    },
                ),
                "django.template.loaders.app_directories.Loader",
            ]
        },
    }
]


@override_settings(TEMPLATES=LOCMEM_TEMPLATES)
def test_the_templates_and_sender_are_the_callers_choice(jane, client, request_):
    send_login_invitation(
        jane,
        request=request_,
        subject_template_name="portal/subject.txt",
        email_template_name="portal/body.txt",
        html_email_template_name="portal/body.html",
        from_email="portal@example.com",
        extra_email_context={"greeting": "Hi!"},
    )
    [message] = mail.outbox
    assert message.subject == "Welcome to the portal,Jane"  # one line, as Django's reset mail
    assert message.from_email == "portal@example.com"
    assert message.body.startswith("Hi! http://crm.example.com/accounts/reset/")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and 'href="/accounts/reset/' in html
    set_password_through_djangos_views(client, invitation_link(message)["path"])


@override_settings(TEMPLATES=LOCMEM_TEMPLATES)
def test_the_mail_is_written_in_the_contacts_language(jane, request_):
    jane.language = "de"
    jane.save()
    send_login_invitation(
        jane, request=request_, subject_template_name="portal/subject.txt", email_template_name="portal/language.txt"
    )
    assert mail.outbox[0].body == "de"
