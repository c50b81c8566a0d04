"""The outbox rows belong to the outbox app now (outbox 0001): the mail app
forgets the model; the table stays, under its old name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0003_outgoing_reply_tos'),
        ('outbox', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='OutgoingMessage')],
            database_operations=[],
        ),
    ]
