# Written by hand. On PostgreSQL built with LZ4 (14 and later, as Debian's and the
# official images are), the merge record's large JSON columns — the keys of every row a
# merge moved, the duplicates' snapshots — are compressed with LZ4 instead of the default
# pglz: the INSERT of a record of 10,000 keys took 3.4 ms with pglz and 1.5 ms with LZ4
# (docs/performance.rst). Only values written afterwards are affected; reading is the
# same. Elsewhere, and without LZ4, nothing changes.

from django.db import migrations

COLUMNS = ("moved", "snapshots")


def _columns(apps, schema_editor):
    """The quoted table and columns to change, or None where this doesn't apply."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    if not row or not row[0]:
        return None
    table = schema_editor.quote_name(apps.get_model("customer_contacts", "mergerecord")._meta.db_table)
    return table, [schema_editor.quote_name(column) for column in COLUMNS]


def _set_compression(method):
    def run(apps, schema_editor):
        found = _columns(apps, schema_editor)
        if found is None:
            return
        table, columns = found
        changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in columns)
        schema_editor.execute(f"ALTER TABLE {table} {changes}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customer_contacts", "0012_duplicate_store"),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("DEFAULT"), elidable=False),
    ]
