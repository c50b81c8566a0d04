"""The outbox rows move here from the mail app: the model only, the table
(mail_outgoingmessage) stays as it is. The mail app forgets the model in its
0004, after this."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cases', '0001_initial'),
        ('teams', '0001_initial'),
        ('mail', '0003_outgoing_reply_tos'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='OutgoingMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('message_id', models.CharField(max_length=500, unique=True)),
                ('to', models.JSONField(default=list)),
                ('cc', models.JSONField(default=list)),
                ('reply_to', models.CharField(blank=True, max_length=500)),
                ('reply_tos', models.JSONField(default=dict)),
                ('subject', models.CharField(max_length=998)),
                ('body', models.TextField()),
                ('headers', models.JSONField(default=dict)),
                ('dedupe_key', models.CharField(blank=True, max_length=300, null=True, unique=True)),
                ('created_at', models.DateTimeField()),
                ('state', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed')], default='queued', max_length=20)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField()),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('delivered', models.JSONField(default=list)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='outgoing', to='cases.case')),
                ('case_message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='outgoing', to='cases.message')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outgoing', to='teams.project')),
            ],
            options={
                'db_table': 'mail_outgoingmessage',
                'ordering': ['pk'],
                'indexes': [models.Index(fields=['state', 'next_attempt_at'], name='mail_outgoi_state_7508cd_idx')],
            },
        ),
            ],
            database_operations=[],
        ),
    ]
