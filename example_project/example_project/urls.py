"""URLs of the example CRM: its own customer and case pages, the app's customer pages
(a customer's contacts: list, new, edit, merge, …), and the admin.

The site root leads to the customer list (staff log in on the admin's login page).
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("crm.urls")),
    # django-customer-contacts' customer pages, under the CRM's own customer URL.
    path("customers/<int:customer_pk>/contacts/", include("django_customer_contacts.urls")),
    path("", RedirectView.as_view(pattern_name="crm:customer_list", permanent=False)),
]
