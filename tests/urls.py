from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from django_customer_contacts import get_contact_model


def rename_contact(request, pk):
    """A host view that changes a contact: history should name the request's user."""
    contact = get_contact_model().objects.get(pk=pk)
    contact.job_title = request.POST["job_title"]
    contact.save()
    return HttpResponse("ok")


urlpatterns = [
    path("admin/", admin.site.urls),
    # Django's own login and password views: the login invitation's link leads there.
    path("accounts/", include("django.contrib.auth.urls")),
    path("contacts/<int:pk>/rename/", rename_contact),
    # The customer pages, as a host includes them under its customer's URL.
    path("customers/<customer_pk>/contacts/", include("django_customer_contacts.urls")),
]
