"""The fixed cast: alice is an admin of libvirt, bob a member, charlie has no
membership. One accepted libvirt case under an active embargo."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from secdesk.cases.models import Case, Embargo, EmbargoState, ReportState
from secdesk.teams.models import Consent, Membership, Person, Policy, Project, Role

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"  # noqa: S105 (the test cast's password)


def make_person(email: str, name: str) -> Person:
    user = User.objects.create_user(username=email, email=email, password=PASSWORD)
    return Person.objects.create(email=email, name=name, user=user)


@pytest.fixture
def libvirt(db):
    project = Project.objects.create(
        slug="libvirt", name="libvirt", security_address="security@libvirt.org"
    )
    Policy.objects.create(project=project)
    return project


def join(person: Person, project: Project, role: Role) -> Membership:
    return Membership.objects.create(
        project=project, person=person, role=role, consent=Consent.SIGNATORY, consent_version=1
    )


@pytest.fixture
def alice(libvirt):
    person = make_person("alice@example.org", "Alice Admin")
    join(person, libvirt, Role.ADMIN)
    return person


@pytest.fixture
def bob(libvirt):
    person = make_person("bob@example.org", "Bob Member")
    join(person, libvirt, Role.MEMBER)
    return person


@pytest.fixture
def charlie(db):
    return make_person("charlie@example.org", "Charlie Outsider")


@pytest.fixture
def case(libvirt, alice):
    reporter = Person.objects.create(email="reporter@example.net", name="Rita Reporter")
    case = Case.objects.create(
        project=libvirt,
        number=1,
        title="Read-only client can crash libvirtd via virDomainGetXMLDesc",
        reporter=reporter,
        state=ReportState.ACCEPTED,
        received_at=NOW - timedelta(days=1),
    )
    Embargo.objects.create(
        case=case,
        state=EmbargoState.ACTIVE,
        clock_started_at=NOW,
        end_at=NOW + timedelta(days=9, hours=4),
    )
    return case


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def login_as():
    """A client logged in as the person, past the second factor (a confirmed TOTP
    device, verified in this session)."""

    def login(person: Person, *, second_factor: bool = True) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(person.user)
        if second_factor:
            pass_second_factor(client, person.user)
        return client

    return login


def pass_second_factor(client: Client, user) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def post_form(client: Client, url: str, data: dict, *, page: str | None = None, **extra):
    """POST as the browser does after showing `page` (or `url`): with its CSRF token."""
    client.get(page or url)
    data = {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    return client.post(url, data, **extra)
