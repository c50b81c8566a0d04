"""The load of bench/scale_out.py: the work of each client (scale_out_clients.py),
their start all at once, and the wait until secdesk has decided and
delivered everything the load caused."""

import json
import time
from pathlib import Path

from processes import Clients
from scale_out_seed import PASSWORD, SECURITY

CLIENTS = Path(__file__).resolve().parent / "scale_out_clients.py"


def _report(n: int) -> tuple[str, str, str, str, str]:
    sender = f"finder{n}@lab{n % 9}.example"
    message_id = f"<report.{n}@lab{n % 9}.example>"
    raw = (
        f"From: {sender}\r\nTo: {SECURITY}\r\nSubject: Crash report {n}\r\n"
        f"Message-ID: {message_id}\r\n\r\nSteps to reproduce: {'x' * 400}\r\n"
    )
    return sender, SECURITY, raw, f"report.{n}", message_id


def _post(n: int, found) -> tuple[str, str, str, str, str]:
    """A member's DKIM-authenticated post into a case, to their reply address."""
    reference = found.post_cases[n % len(found.post_cases)]
    sender = found.members[n % len(found.members)]
    domain = sender.rpartition("@")[2]
    to = found.addresses[reference][sender]
    message_id = f"<post.{n}@{domain}>"
    raw = (
        f"Authentication-Results: mx.bench.example; dkim=pass header.d={domain} header.s=k1\r\n"
        "Received: from mail.example by mx.bench.example; Mon, 2 Mar 2026 09:00:00 +0000\r\n"
        f"From: {sender}\r\nTo: {to}\r\nSubject: Re: [{reference}] patch {n}\r\n"
        f"Message-ID: {message_id}\r\n\r\nHere is a fix, v{n}.\r\n"
    )
    return sender, to, raw, f"post.{n}", message_id


def _web_work(args, found, ports) -> list[dict]:
    """Each person's replies into the post cases, and every move of every
    report, which every person tries: for each (report, step) two or more
    race through different web processes, and one only may succeed."""
    work = []
    for n, (email, key) in enumerate(found.web_people):
        actions = []
        for k in range(args.replies):
            reference = found.post_cases[(n + k) % len(found.post_cases)]
            actions.append(["reply", reference, f"web.{n}.{k}"])
        for reference in found.move_cases:
            actions += [["move", reference, "validate"], ["move", reference, "accept"]]
        work.append(
            {
                "ports": ports["web"],
                "email": email,
                "password": PASSWORD,
                "totp_key": key,
                "actions": actions,
            }
        )
    return work


def prepare(args, found, ports) -> dict:
    """Every client started and ready (the web's people logged in)."""
    messages = [_report(n) for n in range(args.reports)] + [
        _post(n, found) for n in range(args.posts)
    ]
    # Reports and posts interleaved, as they come from the world.
    messages.sort(key=lambda m: int(m[3].split(".")[1]))
    ids = {token: message_id for *_, token, message_id in messages}
    mail = [
        {"ports": ports["mail"], "messages": [m[:4] for m in messages[n :: args.mail_clients]]}
        for n in range(args.mail_clients)
    ]
    clients = [
        Clients(str(CLIENTS), ["mail"], mail),
        Clients(str(CLIENTS), ["web"], _web_work(args, found, ports)),
    ]
    return {"clients": clients, "ids": ids}


def go(clients: dict) -> dict:
    """Start every client at once; what each did, when all are done."""
    for each in clients["clients"]:
        each.go()
    accepted = {"report": [], "post": []}
    done, retried, refused = [], 0, 0
    for each in clients["clients"]:
        for answer in each.answers():
            result = json.loads(answer)
            for token in result.get("accepted", []):
                accepted[token.split(".")[0]].append(token)
            retried += result.get("retried", 0)
            refused += len(result.get("refused", []))
            done += result.get("done", [])
        each.end()
    return {
        "accepted": accepted,
        "refused": refused,
        "done": done,
        "retried": retried,
        "ids": clients["ids"],
    }


def _settled(first_row: int, publications: int) -> bool:
    from secdesk.advisories.models import Publication
    from secdesk.mail.models import Inbound, InboundMessage
    from secdesk.outbox.models import Outgoing, OutgoingMessage

    return (
        not InboundMessage.objects.filter(state__in=[Inbound.RECEIVED, Inbound.PROCESSING]).exists()
        and Publication.objects.filter(finished_at__isnull=False).count() >= publications
        and not OutgoingMessage.objects.filter(pk__gt=first_row, state=Outgoing.QUEUED).exists()
    )


def _mails_wanted(first_row: int) -> int:
    """The mails the relay is to be given for the rows queued since `first_row`."""
    from secdesk.outbox.models import OutgoingMessage

    rows = OutgoingMessage.objects.filter(pk__gt=first_row).values_list("to", "reply_tos")
    return sum(len(to) if reply_tos else 1 for to, reply_tos in rows)


def settle(found, first_row: int, sink, publications: int, timeout: float = 600.0) -> bool:
    """Wait until every message is decided, every case published, and every
    queued mail at the relay; False if that did not happen within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _settled(first_row, publications) and sink.count() >= _mails_wanted(first_row):
            # A moment more: a mail sent twice would arrive now.
            time.sleep(2)
            return True
        time.sleep(0.5)
    return False
