"""On PostgreSQL, refuse UPDATE and DELETE of a referral's chronology at the
database level: it is added to, never edited (issue 10 item 1)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_chronology_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'incidents_chronologyentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_chronology_append_only
    BEFORE UPDATE OR DELETE ON incidents_chronologyentry
    FOR EACH ROW EXECUTE FUNCTION incidents_chronology_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_chronology_append_only ON incidents_chronologyentry;
DROP FUNCTION IF EXISTS incidents_chronology_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
