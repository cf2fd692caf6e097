"""Model fields of the app's own (kept importable for migrations)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["ExactKeyField"]


class ExactKeyField(models.CharField):  # type: ignore[type-arg]  # the stubs' field generics
    """A normalised key that the database compares character for character.

    PostgreSQL and SQLite compare text exactly by default. MySQL and MariaDB compare it
    with the column's collation, and the usual ones (``utf8mb4_unicode_ci``,
    ``utf8mb4_general_ci``) treat ``"Café"`` and ``"Cafe"`` as equal, and many emoji as
    equal to each other — so a unique constraint would refuse keys the app considers
    different. This field gives the column the binary collation ``utf8mb4_bin`` there
    (which also makes the column ``utf8mb4``), and the database default elsewhere: one
    rule on every database. Django's ``db_collation`` can't say "binary" portably
    (collation names differ per database, and PostgreSQL's ``"C"`` would be the only
    non-default one), hence a field.

    The key must already be normalised (case-folded, single-spaced): equality, the
    unique constraint and lookups are then exact on every database. A ``db_collation``
    given explicitly wins.
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "mysql" and not self.db_collation:
            params["collation"] = "utf8mb4_bin"
        return params
