"""On PostgreSQL, refuse UPDATE and DELETE of a bullying case's chronology at
the database level, as for a referral's (migration 0002; issue 10 item 3)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_bullying_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'incidents_bullyingentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_bullying_entry_append_only
    BEFORE UPDATE OR DELETE ON incidents_bullyingentry
    FOR EACH ROW EXECUTE FUNCTION incidents_bullying_entry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_bullying_entry_append_only ON incidents_bullyingentry;
DROP FUNCTION IF EXISTS incidents_bullying_entry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_bullying_cases")]
    operations = [migrations.RunPython(forwards, backwards)]
