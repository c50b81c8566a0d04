"""When a case was published was kept three times: on the case, on its
advisory and as its publication's `finished_at`. The publication keeps it;
the other two become properties (the advisory's column goes in advisories
0006). A case marked published without a finished publication gets one,
finished at that time, so nothing published reads as unpublished after the
change."""

from django.db import migrations


def carry_published_at(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Publication = apps.get_model("advisories", "Publication")
    for case in Case.objects.filter(published_at__isnull=False):
        at = case.published_at
        publication = Publication.objects.filter(case=case).first()
        if publication is None:
            Publication.objects.create(
                case=case,
                trigger="decision",
                started_at=at,
                rendered_at=at,
                announced_at=at,
                files_written_at=at,
                cve_published_at=at,
                finished_at=at,
            )
        elif publication.finished_at is None:
            publication.finished_at = at
            publication.save(update_fields=["finished_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_capabilities_replace_case_token"),
        ("advisories", "0005_references_credits"),
    ]

    operations = [
        migrations.RunPython(carry_published_at, migrations.RunPython.noop),
        migrations.RemoveField(model_name="case", name="published_at"),
    ]
