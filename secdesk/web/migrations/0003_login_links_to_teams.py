"""One-time login links belong to the teams app now (teams 0008): the web app
forgets the model; the table stays, under its old name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0002_calendar_feed_and_report_form'),
        ('teams', '0008_loginlink'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='LoginLink')],
            database_operations=[],
        ),
    ]
