"""Settings of the example CRM that hosts django-customer-contacts.

For local use only: DEBUG is on and the secret key is public.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "example-project-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "phonenumber_field",
    "django_customer_contacts",
    "crm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user on every history row written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own overrides: templates/admin/index.html links the CRM's pages.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Contacts' language field accepts these codes.
LANGUAGES = [("en", "English"), ("de", "German"), ("fr", "French")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# The CRM's own pages (customers, cases) are for staff: they log in on the admin's page.
LOGIN_URL = "admin:login"

# Demo data must never reach a real mailbox: mail is printed to the console.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- django-customer-contacts ---------------------------------------------------

# Contacts hang off this model. It must be created in its app's first migration.
CUSTOMER_CONTACTS_CUSTOMER_MODEL = "crm.Customer"

# The contact model defaults to "customer_contacts.Contact". To add fields, subclass
# django_customer_contacts.models.AbstractContact in your own app and name it here
# (before the first migrate, like AUTH_USER_MODEL):
# CUSTOMER_CONTACTS_CONTACT_MODEL = "crm.Contact"

CUSTOMER_CONTACTS = {
    # Which customers may have a primary contact: see crm/rules.py.
    "PRIMARY_CONTACT_ALLOWED": "crm.rules.primary_contact_allowed",
    # A contact nobody has reached for half a year (and that isn't the primary) is
    # "unused" (the app's default, spelt out) ...
    "UNUSED_AFTER_DAYS": 182,
    # ... and a customer with this many unused contacts gets a review notice. The
    # app's default is 30; the demo data is smaller than a real CRM, so 5 here.
    "UNUSED_REVIEW_THRESHOLD": 5,
    # The contact admin: the app's ContactAdmin plus the CRM's notes (crm/admin.py).
    "CONTACT_ADMIN_CLASS": "crm.admin.CrmContactAdmin",
    # The customer pages (example_project/urls.py includes them) look like the CRM's own:
    # they extend its base template, whose blocks "title" and "content" they fill.
    "BASE_TEMPLATE": "crm/base.html",
    # "New contact" opened from a case (?scope=<case pk>) offers a one-time contact for it.
    "ONE_TIME_SCOPE": "crm.rules.case_scope",
    # Who may see a customer's contacts: the app's default (active staff who may view
    # contacts) suits this CRM. A multi-tenant CRM names its own callable here.
    # "CUSTOMER_ACCESS": "crm.rules.may_see_customer",
}

# Phone numbers typed without a +country prefix are read as UK numbers.
PHONENUMBER_DEFAULT_REGION = "GB"
