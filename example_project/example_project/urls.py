"""URLs of the example CRM: its own customer and case pages, and the admin.

The site root leads to the customer list (staff log in on the admin's login page).
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("crm.urls")),
    path("", RedirectView.as_view(pattern_name="crm:customer_list", permanent=False)),
]
