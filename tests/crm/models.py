"""A host CRM's customer, with an integer key (the default test scenario)."""

from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)
    is_business = models.BooleanField(default=False)

    def __str__(self):
        return self.name
