from django.db import migrations, models


def number_existing_cases(apps, schema_editor):
    """Each project's cases numbered 1, 2, 3… in the order they were received."""
    Case = apps.get_model("cases", "Case")
    numbered = []
    last: dict[int, int] = {}
    for case in Case.objects.order_by("project_id", "received_at", "pk").only("pk", "project_id"):
        last[case.project_id] = case.number = last.get(case.project_id, 0) + 1
        numbered.append(case)
    Case.objects.bulk_update(numbered, ["number"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_case_state_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="number",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(number_existing_cases, migrations.RunPython.noop),
    ]
