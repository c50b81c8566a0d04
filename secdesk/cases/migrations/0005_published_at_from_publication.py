from django.db import migrations


class Migration(migrations.Migration):
    # After the publications have taken over the date (advisories 0006).
    dependencies = [
        ("cases", "0004_capabilities_replace_case_token"),
        ("advisories", "0006_publication_is_the_one_record"),
    ]

    operations = [
        migrations.RemoveField(model_name="case", name="published_at"),
    ]
