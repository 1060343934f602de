"""The append-only trigger learns the one DELETE it allows: the retention purge.

A DELETE passes only when the transaction has said ``SET LOCAL audit.purge =
'on'`` (audit.retention does, nothing else) AND the row is older than 183 days
(Cybersecurity Law Art. 21: logs kept at least six months; 183 days is six
months of any length). UPDATE is still refused, always. The 183 is checked here
in the database, so neither a bug nor a wrong setting can purge younger rows.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('audit.purge', true), '') = 'on'
       AND OLD.at < now() - interval '183 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""
BACKWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_structured_target")]
    operations = [migrations.RunPython(forwards, backwards)]
