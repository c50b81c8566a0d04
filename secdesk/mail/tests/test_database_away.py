"""When PostgreSQL goes away for a moment (a restart, a failover), the mail it
was working on is neither quarantined nor sent twice: what was being read is
read again, and what the relay took is recorded as sent. (bench/faults.py
found both, stopping PostgreSQL under a stream of reports.)

PostgreSQL only: the connection is ended from the server's side, as a restart
ends it; SQLite's file never goes away."""

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from secdesk.mail import claim, decide, delivery
from secdesk.mail.intake import Intake
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.mail.tests.conftest import mail
from secdesk.outbox import queue
from secdesk.outbox.models import Outgoing, OutgoingMessage

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite never goes away"),
    pytest.mark.django_db(transaction=True),
]


def _our_connection() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _end(pid: int) -> None:
    """What a restart of PostgreSQL does to a connection: ended by the server."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _store(project, count: int) -> None:
    from secdesk.mail.addresses import resolve, security_addresses
    from secdesk.mail.intake import Envelope

    to = "security@libvirt.example"
    found = resolve(to, security_addresses())
    Intake(None).store(
        [
            Envelope(
                mail(sender=f"finder{n}@research.example"), "x@research.example", [(to, found)]
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize(
    ("module", "step"),
    [(claim, "_with_projects"), (decide, "examine_all")],
    ids=["claimed", "read"],
)
def test_reports_being_read_when_the_database_goes_away_are_read_again_not_quarantined(
    project, monkeypatch, module, step
):
    _store(project, 3)
    going_on = getattr(module, step)
    ended = []

    def database_goes_away(*args):
        if not ended:
            ended.append(True)
            _end(_our_connection())
        return going_on(*args)

    monkeypatch.setattr(module, step, database_goes_away)
    with pytest.raises(OperationalError):
        Intake(None).process_next()
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {Inbound.RECEIVED}

    Intake(None).process_pending()
    assert list(InboundMessage.objects.values_list("state", flat=True)) == [Inbound.HELD] * 3
    assert InboundMessage.objects.filter(case__isnull=False).count() == 3


def test_mail_the_relay_took_is_recorded_sent_though_the_database_went_away_meanwhile(
    project, sink, settings
):
    settings.SMTP_RELAY = ("127.0.0.1", sink.port)
    with transaction.atomic():
        row = queue.enqueue(
            project=project, to=["announce@libvirt.example"], subject="s", body="b", kind="x"
        )
    taken, ours = sink.handle_DATA, _our_connection()

    async def database_goes_away(server, session, envelope):
        answer = await taken(server, session, envelope)
        _end(ours)
        return answer

    sink.handle_DATA = database_goes_away
    assert delivery.deliver_due() == {"sent": 1, "failed": 0}
    row.refresh_from_db()
    assert row.state == Outgoing.SENT
    assert OutgoingMessage.objects.filter(state=Outgoing.QUEUED).count() == 0
    assert len(sink.messages) == 1
