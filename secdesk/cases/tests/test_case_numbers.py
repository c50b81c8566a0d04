"""Each project counts its own cases (`libvirt#1`, `qemu#1`), and a person names
a case by that reference, or by its number alone when only one of the cases
they may see has it."""

import threading

import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from secdesk.cases.access import visible_case
from secdesk.cases.actions import reports
from secdesk.errors import BadInput, NotFound, Refused
from secdesk.teams.actions import do_accept_policy, do_add_member, do_create_project


def _report(project, subject="Crash in RPC dispatch", reporter="finder@research.example"):
    return reports.do_receive_report(
        project,
        reporter_email=reporter,
        subject=subject,
        body="Steps to reproduce: ...",
        acting=None,
    )


@pytest.fixture
def qemu(root, alice):
    project = do_create_project(
        slug="qemu", name="QEMU", security_address="security@qemu.example", acting=root
    )
    do_add_member(project, email=alice.email, role="member", acting=root)
    do_accept_policy(project, acting=alice)
    return project


def test_each_project_counts_its_own_cases(project, qemu):
    first, other, second = _report(project), _report(qemu), _report(project)

    assert [first.reference, other.reference, second.reference] == [
        "libvirt#1",
        "qemu#1",
        "libvirt#2",
    ]


def test_a_bare_number_names_the_one_case_that_has_it(project, qemu, alice):
    _report(project)
    _report(project)
    only = _report(project)

    assert visible_case(alice, "3") == only
    assert visible_case(alice, "#3") == only
    assert visible_case(alice, "libvirt#3") == only


def test_a_bare_number_two_cases_have_is_refused_with_their_references(project, qemu, alice):
    mine, theirs = _report(project), _report(qemu)

    with pytest.raises(Refused) as refused:
        visible_case(alice, "1")

    assert "libvirt#1, qemu#1" in refused.value.message
    assert visible_case(alice, "qemu#1") == theirs and visible_case(alice, "libvirt#1") == mine


def test_a_bare_number_counts_only_the_cases_the_person_may_see(project, qemu, alice, bob):
    _report(qemu)
    mine = _report(project)

    assert visible_case(bob, "1") == mine
    with pytest.raises(NotFound, match=r"^no case qemu#1 that you may see$"):
        visible_case(bob, "qemu#1")


def test_what_is_not_a_reference_is_refused_as_such(project, alice):
    for text in ("libvirt", "libvirt#", "#0", "lib virt#1", "1.5"):
        with pytest.raises(BadInput, match="is not a case reference"):
            visible_case(alice, text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database shares one lock table between threads",
)
def test_reports_received_at_the_same_moment_get_numbers_of_their_own(project):
    failures = []

    def receive(n):
        try:
            for i in range(3):
                # A reporter each: the numbers are what is raced for here.
                _report(project, subject=f"Report {n}.{i}", reporter=f"finder{n}@research.example")
        except Exception as err:
            failures.append((n, err))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(project.cases.values_list("number", flat=True)) == list(range(1, 13))


def _with_cases_at(executor, name: str) -> list[tuple[str, str]]:
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "cases"]
    return [("cases", name), *others]


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_cases_per_project_in_the_order_received():
    executor = MigrationExecutor(connection)
    before = _with_cases_at(executor, "0006_case_state_reason")
    after = _with_cases_at(executor, "0008_case_number_required")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Project, Case = old.get_model("teams", "Project"), old.get_model("cases", "Case")
    libvirt = Project.objects.create(slug="libvirt", name="l", security_address="s@l.example")
    qemu = Project.objects.create(slug="qemu", name="q", security_address="s@q.example")
    now = timezone.now()
    made = [
        Case.objects.create(project=project, title=title, state="accepted", received_at=now + lag)
        for project, title, lag in (
            (libvirt, "second", timezone.timedelta(minutes=2)),
            (qemu, "qemu's first", timezone.timedelta(minutes=1)),
            (libvirt, "first", timezone.timedelta(minutes=0)),
        )
    ]

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    Case = executor.loader.project_state(after).apps.get_model("cases", "Case")
    numbers = dict(Case.objects.filter(pk__in=[c.pk for c in made]).values_list("title", "number"))
    assert numbers == {"first": 1, "second": 2, "qemu's first": 1}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
