from django.db import migrations


class Migration(migrations.Migration):
    # The date is the publication's; the case's copy, which this one always
    # equalled, is carried over to the publications by cases 0005.
    dependencies = [
        ("advisories", "0005_references_credits"),
    ]

    operations = [
        migrations.RemoveField(model_name="advisory", name="published_at"),
    ]
