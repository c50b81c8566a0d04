# Apart from 0007: PostgreSQL alters a table only once the rows written in the
# same transaction have no checks pending.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_case_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                fields=("project", "number"), name="one_number_per_project_case"
            ),
        ),
    ]
