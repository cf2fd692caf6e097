"""What the benchmark scripts share: Django set up on the chosen database, and its name."""

from __future__ import annotations

import os
from typing import Any


def setup(db: str) -> None:
    """Django with ``benchmarks.settings`` on ``db`` (``sqlite``, ``postgres`` or ``mariadb``)."""
    os.environ["BENCH_DB"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


def describe(connection: Any) -> str:
    """The database and Django versions, for the first line of a benchmark's output."""
    import django

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SELECT VERSION()")
        version = cursor.fetchone()[0].split(" on ")[0].split(",")[0]
    return f"{connection.vendor} {version}, Django {django.get_version()}"
