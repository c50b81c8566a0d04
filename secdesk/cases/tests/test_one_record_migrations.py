"""The migrations that keep a fact once: what the dropped copies held is
carried to the one record before they go."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("cases", "0004_capabilities_replace_case_token")
AFTER = ("cases", "0006_case_state_reason")


def _with_cases_at(executor, name: tuple[str, str]) -> list[tuple[str, str]]:
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "cases"]
    return [name, *others]


@pytest.mark.django_db(transaction=True)
def test_published_cases_keep_their_date_and_invalid_ones_their_reason():
    executor = MigrationExecutor(connection)
    before = _with_cases_at(executor, BEFORE)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Project, Case = old.get_model("teams", "Project"), old.get_model("cases", "Case")
    Publication = old.get_model("advisories", "Publication")
    AuditRecord = old.get_model("audit", "AuditRecord")
    project = Project.objects.create(slug="libvirt", name="libvirt", security_address="s@x.example")
    at = timezone.now().replace(microsecond=0)
    kept = {"project": project, "title": "t", "received_at": at}
    stopped = Case.objects.create(state="accepted", published_at=at, **kept)
    Publication.objects.create(case=stopped, trigger="decision", started_at=at)
    bare = Case.objects.create(state="accepted", published_at=at, **kept)
    unpublished = Case.objects.create(state="accepted", **kept)
    spam = Case.objects.create(state="invalid", **kept)
    AuditRecord.objects.create(
        seq=1, at=at, event=203, case_id=spam.pk, details={"reason": "spam"}, hash="", prev_hash=""
    )

    executor = MigrationExecutor(connection)
    after = _with_cases_at(executor, AFTER)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Case, Publication = new.get_model("cases", "Case"), new.get_model("advisories", "Publication")
    assert Publication.objects.get(case_id=stopped.pk).finished_at == at
    assert Publication.objects.get(case_id=bare.pk).finished_at == at
    assert not Publication.objects.filter(case_id=unpublished.pk).exists()
    assert Case.objects.get(pk=spam.pk).state_reason == "spam"
    assert Case.objects.get(pk=unpublished.pk).state_reason == ""
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
