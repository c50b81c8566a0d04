"""Mail tests: messages as they arrive on the wire, and real OpenPGP keys."""

from email.message import EmailMessage
from email.utils import make_msgid

import pysequoia
import pytest

from secdesk.mail import intake
from secdesk.mail.addresses import resolve, security_addresses
from secdesk.mail.models import InboundMessage


def mail(
    *,
    sender="finder@research.example",
    to="security@libvirt.example",
    subject="Heap overflow in the XML parser",
    body="Steps to reproduce: feed it a crafted domain XML.",
    headers=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="research.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def deliver(raw: bytes, *, mail_from="finder@research.example", to="security@libvirt.example"):
    """Store a message as the daemon does, run the rules, and return its row."""
    table = security_addresses()
    [pk] = intake.store([intake.Envelope(raw, mail_from, [(to, resolve(to, table))])])
    intake.process_pending()
    return InboundMessage.objects.get(pk=pk)


@pytest.fixture
def bob_key(bob):
    """bob's real OpenPGP key: the secret part signs, the public part is on file."""
    key = pysequoia.Tsk.generate("Bob <bob@suse.example>")
    public = key.extract_certificate()
    bob.openpgp_key = str(public)
    bob.openpgp_fingerprint = public.fingerprint.upper()
    bob.save()
    return key
