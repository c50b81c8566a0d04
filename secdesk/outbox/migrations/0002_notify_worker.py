"""On PostgreSQL, every statement that writes outbox rows notifies the
channel the workers listen on (secdesk/outbox/wake.py), so that they send the
mail as soon as it is committed. SQLite has no such channel: nothing to do."""

from django.db import migrations

CREATE = """
CREATE FUNCTION secdesk_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('secdesk_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER secdesk_outbox_notify AFTER INSERT ON mail_outgoingmessage
    FOR EACH STATEMENT EXECUTE FUNCTION secdesk_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS secdesk_outbox_notify ON mail_outgoingmessage;
DROP FUNCTION IF EXISTS secdesk_outbox_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
