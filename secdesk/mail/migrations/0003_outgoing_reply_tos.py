from django.db import migrations, models


def each_alone(apps, schema_editor):
    """Mail queued before this change that hid its recipients behind a To
    header (a case's team) goes to each recipient alone, as everything that
    is sent to several people now does; its Reply-To stays the old case
    address, whose mail is held for a moderator."""
    OutgoingMessage = apps.get_model("mail", "OutgoingMessage")
    waiting = OutgoingMessage.objects.exclude(header_to="").exclude(state="sent")
    for row in waiting.iterator():
        row.reply_tos = {address: row.reply_to or row.header_to for address in row.to}
        row.save(update_fields=["reply_tos"])


class Migration(migrations.Migration):

    dependencies = [
        ("mail", "0002_outgoing_envelopes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmessage",
            name="reply_tos",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(each_alone, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="outgoingmessage",
            name="header_to",
        ),
    ]
