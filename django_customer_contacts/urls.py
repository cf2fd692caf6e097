"""The customer pages. Include them under your customer's URL::

    path("customers/<customer_pk>/contacts/", include("django_customer_contacts.urls"))

The list is ``customer_contacts:contact_list`` (kwarg ``customer_pk``); pages about one
contact take its pk as ``pk``. See "Customer pages" in the docs.
"""

from django.urls import path

from . import views

app_name = "customer_contacts"

urlpatterns = [
    path("", views.ContactListView.as_view(), name="contact_list"),
    path("add/", views.ContactCreateView.as_view(), name="contact_add"),
    path("merge/", views.MergeView.as_view(), name="contact_merge"),
    path("unused/", views.UnusedContactsView.as_view(), name="contact_unused"),
    path("duplicates/", views.DuplicatesView.as_view(), name="contact_duplicates"),
    path("export/", views.ExportView.as_view(), name="contact_export"),
    path("<str:pk>/", views.ContactUpdateView.as_view(), name="contact_edit"),
    path("<str:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("<str:pk>/primary/", views.SetPrimaryView.as_view(), name="contact_set_primary"),
    path("<str:pk>/login/", views.ContactLoginView.as_view(), name="contact_login"),
]
