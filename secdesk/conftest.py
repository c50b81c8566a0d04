"""The fixed cast the tests share.

root is the site administrator; on project "libvirt" alice is admin, bob and
carol are members, dave a moderator; charlie is known to secdesk but on no team.
"""

import pytest

from secdesk.cases.actions import reports
from secdesk.teams.actions import (
    do_accept_policy,
    do_add_member,
    do_create_admin,
    do_create_project,
)


@pytest.fixture
def root(db):
    return do_create_admin("root@example.org")


@pytest.fixture
def project(root):
    return do_create_project(
        slug="libvirt",
        name="libvirt",
        security_address="security@libvirt.example",
        dev_list="devel@libvirt.example",
        announce_list="announce@libvirt.example",
        acting=root,
    )


def _join(project, email, role, by):
    membership = do_add_member(project, email=email, role=role, acting=by)
    do_accept_policy(project, acting=membership.person)
    return membership.person


@pytest.fixture
def alice(project, root):
    return _join(project, "alice@redhat.example", "admin", root)


@pytest.fixture
def bob(project, alice):
    return _join(project, "bob@suse.example", "member", alice)


@pytest.fixture
def carol(project, alice):
    return _join(project, "carol@debian.example", "member", alice)


@pytest.fixture
def dave(project, alice):
    return _join(project, "dave@gentoo.example", "moderator", alice)


@pytest.fixture
def charlie(db):
    from secdesk.teams.models import Person

    return Person.objects.create(email="charlie@elsewhere.example")


@pytest.fixture
def new_case(project, alice):
    """A factory: a report received, validated and accepted by the team."""

    def make(state="accepted", public=False, subject="Crash in RPC dispatch"):
        case = reports.do_receive_report(
            project,
            reporter_email="finder@research.example",
            subject=subject,
            body="Steps to reproduce: ...",
            public=public,
            acting=None,
        )
        if state in ("valid", "accepted"):
            case = reports.do_validate_report(case, acting=alice)
        if state == "accepted":
            case = reports.do_accept_report(case, acting=alice)
        return case

    return make
