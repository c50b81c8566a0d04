"""The migration off the case token: the old token, which stood in every
member's mail, opens nothing any more."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def _with_cases_at(executor, name: str) -> list[tuple[str, str]]:
    """Every other app at its newest migration, the cases app at `name`: the
    other apps' models then read as the tables do."""
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "cases"]
    return [("cases", name), *others]


@pytest.mark.django_db(transaction=True)
def test_old_case_tokens_become_dead_reply_addresses_and_reporters_get_fresh_links():
    executor = MigrationExecutor(connection)
    before = _with_cases_at(executor, "0003_capability")
    after = _with_cases_at(executor, "0004_capabilities_replace_case_token")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Project, Person = old.get_model("teams", "Project"), old.get_model("teams", "Person")
    Case = old.get_model("cases", "Case")
    project = Project.objects.create(slug="libvirt", name="libvirt", security_address="s@x.example")
    finder = Person.objects.create(email="finder@research.example")
    at = timezone.now()
    case = Case.objects.create(
        project=project, title="t", reporter=finder, state="accepted", received_at=at
    )
    Case.objects.create(project=project, title="no reporter", state="accepted", received_at=at)
    leaked = case.token

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Capability = new.get_model("cases", "Capability")
    reply, link = (
        Capability.objects.get(case_id=case.pk, kind="reply"),
        Capability.objects.get(case_id=case.pk, kind="link"),
    )
    assert reply.token == leaked and reply.revoked_at is not None
    assert link.token != leaked and link.revoked_at is None and link.person_id == finder.pk
    assert Capability.objects.count() == 2
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
