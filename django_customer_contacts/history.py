"""History settings frozen for the app's models.

django-simple-history reads a few global settings (``SIMPLE_HISTORY_HISTORY_ID_USE_UUID``,
``SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD``, ``SIMPLE_HISTORY_DATE_INDEX``)
when it builds history tables. Left alone, a host that sets them would see its own
``makemigrations`` want to rewrite the history tables this app ships. Fixing the
options here keeps our migrations stable whatever the host chooses.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class FrozenHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` whose table layout ignores host settings.

    It also skips models that are swapped out (the default ``Contact`` when a host
    names its own contact model), so a swapped-out model leaves no history table.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("history_id_field", models.BigAutoField(primary_key=True))
        kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
        # The generated primary marker is derived from ``is_primary`` by the database.
        kwargs.setdefault("excluded_fields", ["primary_marker"])
        super().__init__(**kwargs)

    @property
    def _date_indexing(self):
        return True

    def finalize(self, sender, **kwargs):
        if sender._meta.swapped:
            return
        super().finalize(sender, **kwargs)
