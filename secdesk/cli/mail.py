"""`secdesk mail` (the intake daemon), `secdesk moderation …`, `secdesk quarantine …`,
`secdesk outbox …` and `secdesk case reply`."""

from secdesk.cli.common import acting, read_text, visible_case
from secdesk.cli.output import table


def mail_address(value: str) -> tuple[str, int]:
    """The intake's HOST:PORT, parsed."""
    from secdesk.errors import BadInput
    from secdesk.lib.env import ConfigError, host_port

    try:
        return host_port("--smtp", value)
    except ConfigError as err:
        raise BadInput(str(err)) from None


def start_intake(value: str, *, lmtp: bool = False, rules_process: bool = False):
    """Start the intake daemon; returns the server (call .stop()) and where it listens."""
    from secdesk.mail.daemon import MailServer

    host, port = mail_address(value)
    server = MailServer(host, port, lmtp=lmtp, rules_process=rules_process)
    return server.start(), f"{host}:{port}"


def daemon(args, out):
    import signal
    import threading

    from django.conf import settings

    from secdesk.cli.run import starting

    starting(out)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # The daemon alone: the rules get a process (and a core) of their own.
    server, where = start_intake(args.smtp, lmtp=args.lmtp, rules_process=True)
    protocol = "lmtp" if args.lmtp else "smtp"
    out.console.print(f"secdesk: data in {settings.DATA_DIR}", markup=False)
    out.console.print(f"secdesk: mail ({protocol}) on {where}", markup=False)
    out.console.file.flush()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _held(person, row) -> dict:
    from secdesk.mail.moderation import shown_reasons

    return {
        "id": row.pk,
        "project": row.project.slug,
        "state": row.state,
        "received_at": row.received_at,
        "envelope_sender": row.mail_from,
        "sender": row.sender,
        "subject": row.subject,
        "size": row.size,
        "case": row.case.reference if row.case else None,
        "kind": "report" if row.opened_case else "post",
        "reasons": shown_reasons(person, row),
    }


def _table(rows, empty):
    def show(console):
        if not rows:
            console.print(empty)
            return
        console.print(
            table(
                "id",
                "project",
                "kind",
                "case",
                "from",
                "subject",
                "why",
                rows=(
                    (
                        r["id"],
                        r["project"],
                        r["kind"],
                        r["case"],
                        r["sender"] or r["envelope_sender"],
                        r["subject"],
                        r["reasons"][-1].get("reason", "") if r["reasons"] else "",
                    )
                    for r in rows
                ),
            )
        )

    return show


def _detail(person, row) -> dict:
    data = _held(person, row)
    data["attachments"] = [
        {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
        for a in row.attachments.all()
    ]
    return data


def _print_detail(data):
    def show(console):
        console.print(
            f"#{data['id']} {data['kind']} in {data['project']} ({data['state']})", markup=False
        )
        for key in ("case", "sender", "envelope_sender", "subject", "size", "received_at"):
            if data.get(key):
                console.print(f"  {key.replace('_', ' ')}: {data[key]}", markup=False)
        for reason in data["reasons"]:
            suggested = reason.get("suggested_reference")
            console.print(
                f"  why: {reason.get('reason', '')}"
                + (f" (suggested case {suggested})" if suggested else ""),
                markup=False,
            )
        for a in data["attachments"]:
            console.print(
                f"  attachment {a['filename'] or '(unnamed)'} {a['content_type']} {a['size']} B",
                markup=False,
            )

    return show


def moderation_list(args, out):
    from secdesk.mail.moderation import queue

    person = acting(args)
    rows = [_held(person, r) for r in queue(person)]
    out.emit(rows, _table(rows, "nothing held for moderation"))


def moderation_show(args, out):
    from secdesk.mail.moderation import held_item

    person = acting(args)
    data = _detail(person, held_item(person, args.id))
    out.emit(data, _print_detail(data))


def _moderate(args, out, step, done, **kwargs):
    from secdesk.mail.moderation import held_item, named

    person = acting(args)
    row = step(held_item(person, args.id), acting=person, **kwargs)
    out.emit(_held(person, row), f"{named(row)}: {done}")


def moderation_approve(args, out):
    from secdesk.mail.moderation import do_approve

    _moderate(args, out, do_approve, "approved; the team has it", as_reporter=args.as_reporter)


def moderation_reject(args, out):
    from secdesk.mail.moderation import do_reject

    _moderate(
        args, out, do_reject, "rejected; the sender is told why", reason=read_text(args.reason)
    )


def moderation_spam(args, out):
    from secdesk.mail.moderation import do_discard_spam

    _moderate(args, out, do_discard_spam, "discarded as spam, no reply")


def quarantine_list(args, out):
    from secdesk.mail.models import Inbound
    from secdesk.mail.moderation import queue

    person = acting(args)
    rows = [_held(person, r) for r in queue(person, Inbound.QUARANTINED)]
    out.emit(rows, _table(rows, "nothing in quarantine"))


def quarantine_show(args, out):
    import sys

    from secdesk.mail.models import Inbound
    from secdesk.mail.moderation import held_item

    person = acting(args)
    row = held_item(person, args.id, Inbound.QUARANTINED)
    if args.raw:
        if sys.stdout.isatty():
            # A terminal would act on the escape sequences in it: shown escaped.
            out.console.print(bytes(row.raw).decode("utf-8", "backslashreplace"))
        else:
            sys.stdout.buffer.write(bytes(row.raw))
        return
    data = _detail(person, row)
    out.emit(data, _print_detail(data))


def quarantine_release(args, out):
    from secdesk.mail.models import Inbound
    from secdesk.mail.moderation import do_release, held_item

    person = acting(args)
    row = do_release(held_item(person, args.id, Inbound.QUARANTINED), acting=person)
    out.emit(_held(person, row), f"mail #{row.pk}: released; now {row.state}")


def _outgoing(row) -> dict:
    return {
        "id": row.pk,
        "project": row.project.slug,
        "case": row.case.reference if row.case_id else None,
        "kind": row.kind,
        "to": row.to,
        "cc": row.cc,
        "delivered": row.delivered,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "message_id": row.message_id,
    }


def outbox_list(args, out):
    from secdesk.cases.access import of_visible_cases
    from secdesk.outbox.models import Outgoing, OutgoingMessage
    from secdesk.teams.access import projects_of
    from secdesk.teams.models import Role

    person = acting(args)
    rows = (
        OutgoingMessage.objects.filter(project__in=projects_of(person, Role.MODERATOR))
        .filter(of_visible_cases(person))
        .select_related("project", "case__project")
    )
    if args.failed:
        rows = rows.filter(state=Outgoing.FAILED)
    if args.case:
        rows = rows.filter(case=visible_case(args, person))
    data = [_outgoing(r) for r in rows.defer("body").order_by("-pk")[:500]]

    def show(console):
        if not data:
            console.print("no outgoing mail")
            return
        console.print(
            table(
                "id",
                "kind",
                "case",
                "recipients",
                "state",
                "tries",
                "error",
                rows=(
                    (
                        r["id"],
                        r["kind"],
                        r["case"],
                        # The record of who received the mail: every one shown.
                        [*r["to"], *r["cc"]],
                        r["state"],
                        r["attempts"],
                        r["last_error"][:60],
                    )
                    for r in data
                ),
            )
        )

    out.emit(data, show)


def outbox_retry(args, out):
    from secdesk.mail.delivery import do_retry

    row = do_retry(args.id, acting=acting(args))
    out.emit(_outgoing(row), f"outgoing mail #{row.pk}: queued again")


def case_reply(args, out):
    from secdesk.mail.posts import do_post_reply

    person = acting(args)
    message = do_post_reply(
        visible_case(args, person),
        body=read_text(args.body),
        subject=args.subject,
        internal=args.internal,
        acting=person,
    )
    recipients = sorted({a for row in message.outgoing.all() for a in row.to})
    out.emit(
        {
            "case": message.case.reference,
            "message": message.pk,
            "internal": message.internal,
            "recipients": recipients,
        },
        f"case {message.case.reference}: {'internal note' if message.internal else 'reply'} "
        f"sent to {len(recipients)} recipient(s)",
    )
