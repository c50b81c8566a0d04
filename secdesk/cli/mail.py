"""`secdesk mail` (the intake daemon), `secdesk moderation …`, `secdesk quarantine …`,
`secdesk outbox …` and `secdesk case reply`."""

from secdesk.cli.common import acting, case_arg, positive_int, read_text, visible_case
from secdesk.cli.output import table


def register(commands):
    p = commands.add_parser("mail", help="the mail intake daemon (SMTP, or LMTP behind an MTA)")
    p.add_argument("--smtp", default="127.0.0.1:8025", metavar="HOST:PORT")
    p.add_argument("--lmtp", action="store_true", help="speak LMTP (behind Postfix or Exim)")
    p.set_defaults(handler=daemon)

    moderation = commands.add_parser("moderation", help="held mail: approve, reject, spam")
    sub = moderation.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="mail held for moderation in your projects")
    p.set_defaults(handler=moderation_list)
    p = sub.add_parser("show", help="a held mail, with why it was held")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.set_defaults(handler=moderation_show)
    p = sub.add_parser("approve", help="the report becomes a case and reaches every member")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.add_argument(
        "--as-reporter",
        action="store_true",
        help="a held post whose reply address stands for nobody now: the reporter wrote it",
    )
    p.set_defaults(handler=moderation_approve)
    p = sub.add_parser("reject", help="reject; the sender is told the reason")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.add_argument("--reason", required=True, help="why; - for stdin, @FILE for a file")
    p.set_defaults(handler=moderation_reject)
    p = sub.add_parser("spam", help="discard as spam: no reply")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.set_defaults(handler=moderation_spam)

    quarantine = commands.add_parser("quarantine", help="mail secdesk could not handle")
    sub = quarantine.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list")
    p.set_defaults(handler=quarantine_list)
    p = sub.add_parser("show")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.add_argument("--raw", action="store_true", help="print the message as received")
    p.set_defaults(handler=quarantine_show)
    p = sub.add_parser("release", help="run the rules on it again")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.set_defaults(handler=quarantine_release)

    outbox = commands.add_parser("outbox", help="outgoing mail")
    sub = outbox.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list")
    p.add_argument("--failed", action="store_true", help="only mail that could not be sent")
    p.add_argument("--case", type=positive_int, help="only mail about this case")
    p.set_defaults(handler=outbox_list)
    p = sub.add_parser("retry", help="send a failed mail again")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.set_defaults(handler=outbox_retry)

    # `case reply` joins the `case` command group.
    case = commands.choices["case"]
    case_actions = next(a for a in case._actions if a.dest == "action")
    p = case_actions.add_parser("reply", help="reply on a case: to the team and the reporter")
    case_arg(p)
    p.add_argument("--body", required=True, help="the text; - for stdin, @FILE for a file")
    p.add_argument("--subject", default="")
    p.add_argument("--internal", action="store_true", help="members only, not the reporter")
    p.set_defaults(handler=case_reply)


def _listen(value: str):
    from secdesk.errors import BadInput
    from secdesk.lib.env import ConfigError, host_port

    try:
        return host_port("--smtp", value)
    except ConfigError as err:
        raise BadInput(str(err)) from None


def start_intake(value: str, *, lmtp: bool = False, rules_process: bool = False):
    """Start the intake daemon; returns the server (call .stop()) and where it listens."""
    from secdesk.mail.daemon import MailServer

    host, port = _listen(value)
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
        "case": row.case_id,
        "reference": row.case.reference if row.case else None,
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
                        r["reference"],
                        r["sender"] or r["envelope_sender"],
                        r["subject"],
                        r["reasons"][-1]["rule"] if r["reasons"] else "",
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
        for key in ("reference", "sender", "envelope_sender", "subject", "size", "received_at"):
            if data.get(key):
                console.print(f"  {key.replace('_', ' ')}: {data[key]}", markup=False)
        for reason in data["reasons"]:
            suggested = reason.get("suggested_case")
            console.print(
                f"  {reason['rule']}: {reason.get('reason', '')}"
                + (f" (suggested case #{suggested})" if suggested else ""),
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
    from secdesk.mail.moderation import held_item

    person = acting(args)
    row = step(held_item(person, args.id), acting=person, **kwargs)
    out.emit(_held(person, row), f"#{row.pk}: {done}")


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
    out.emit(_held(person, row), f"#{row.pk}: released; now {row.state}")


def _outgoing(row) -> dict:
    return {
        "id": row.pk,
        "project": row.project.slug,
        "case": row.case_id,
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
    from secdesk.mail.models import Outgoing, OutgoingMessage
    from secdesk.teams.access import of_visible_cases, projects_of
    from secdesk.teams.models import Role

    person = acting(args)
    rows = (
        OutgoingMessage.objects.filter(project__in=projects_of(person, Role.MODERATOR))
        .filter(of_visible_cases(person))
        .select_related("project")
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
                "to",
                "state",
                "tries",
                "error",
                rows=(
                    (
                        r["id"],
                        r["kind"],
                        r["case"],
                        ", ".join(r["to"])[:60],
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
    from secdesk.mail.outbox import do_retry

    row = do_retry(args.id, acting=acting(args))
    out.emit(_outgoing(row), f"outgoing mail #{row.pk}: queued again")


def case_reply(args, out):
    from secdesk.cases.actions.messages import do_post_reply

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
            "case": message.case_id,
            "message": message.pk,
            "internal": message.internal,
            "recipients": recipients,
        },
        f"case #{message.case_id}: {'internal note' if message.internal else 'reply'} "
        f"sent to {len(recipients)} recipient(s)",
    )
