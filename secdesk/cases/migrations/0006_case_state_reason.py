"""The reason given with a report's last move (invalid, deferred, closed) was
only in the audit trail, and moderation read it back from there. The case
keeps it now; existing cases take it from their trail once, here."""

from django.db import migrations, models

# The audit events of the moves that take a reason (audit.models.AuditEvent).
REASONED = {"invalid": 203, "deferred": 205, "closed": 206}


def carry_reasons(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    AuditRecord = apps.get_model("audit", "AuditRecord")
    for case in Case.objects.filter(state__in=REASONED).only("pk", "state"):
        entry = (
            AuditRecord.objects.filter(case_id=case.pk, event=REASONED[case.state])
            .order_by("-seq")
            .first()
        )
        reason = entry.details.get("reason", "") if entry else ""
        if reason:
            Case.objects.filter(pk=case.pk).update(state_reason=reason)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_published_at_from_publication"),
        ("audit", "0003_key_the_existing_trail"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="state_reason",
            field=models.TextField(
                blank=True,
                help_text="The reason given with the move into the state, if it needs one.",
            ),
        ),
        migrations.RunPython(carry_reasons, migrations.RunPython.noop),
    ]
