from django.db import migrations

CATEGORIES = [
    ("billing", "Billing"),
    ("helpdesk", "Helpdesk"),
    ("usage", "Usage"),
    ("outages", "Outages"),
    ("general", "General"),
]


def create_categories(apps, schema_editor):
    NotificationCategory = apps.get_model("customer_contacts", "NotificationCategory")
    db = schema_editor.connection.alias
    for code, name in CATEGORIES:
        NotificationCategory.objects.using(db).get_or_create(code=code, defaults={"name": name})


def remove_categories(apps, schema_editor):
    NotificationCategory = apps.get_model("customer_contacts", "NotificationCategory")
    db = schema_editor.connection.alias
    NotificationCategory.objects.using(db).filter(code__in=[code for code, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("customer_contacts", "0001_initial")]

    operations = [migrations.RunPython(create_categories, remove_categories)]
