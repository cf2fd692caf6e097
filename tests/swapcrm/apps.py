from django.apps import AppConfig


class SwapCrmConfig(AppConfig):
    name = "tests.swapcrm"
    label = "swapcrm"
    default_auto_field = "django.db.models.BigAutoField"
