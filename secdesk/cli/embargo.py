"""`secdesk embargo …`: propose, agree, accept, restart and end embargoes."""

from secdesk.cli.common import acting, case_arg, positive_int, read_text, visible_case


def register(commands):
    embargo = commands.add_parser("embargo", help="embargoes under the project's policy")
    sub = embargo.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("propose", help="propose an embargo end, or a revision of the one in force")
    case_arg(p)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--days",
        type=positive_int,
        help="the embargo's length in days, counted from its clock start",
    )
    when.add_argument("--end", help="the end, with a time and zone, e.g. 2026-12-10T14:00Z")
    p.add_argument(
        "--justification",
        default="",
        help="required beyond the policy's default length; - or @FILE",
    )
    p.set_defaults(handler=propose)

    p = sub.add_parser("accept", help="accept the open proposal")
    case_arg(p)
    p.set_defaults(handler=accept)

    p = sub.add_parser("reject", help="reject the open proposal")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why the proposal is rejected")
    p.set_defaults(handler=reject)

    p = sub.add_parser("agree", help="agree to the open proposal (an extension needs this)")
    case_arg(p)
    p.add_argument("--reason", default="", help="a word for the team")
    p.set_defaults(handler=agree)

    p = sub.add_parser("object", help="object to the open proposal")
    case_arg(p)
    p.add_argument("--reason", required=True, help="why you object")
    p.set_defaults(handler=object_)

    p = sub.add_parser("restart", help="restart the clock after a fix was found faulty")
    case_arg(p)
    p.add_argument(
        "--days", type=positive_int, help="length of the new clock (default: the policy's)"
    )
    p.set_defaults(handler=restart)

    p = sub.add_parser("end", help="end the embargo now, by team decision")
    case_arg(p)
    p.add_argument(
        "--reason", required=True, help="the team's decision, recorded in the audit trail"
    )
    p.set_defaults(handler=end)


def _emit(out, case, text):
    from secdesk.cases.serialize import embargo_data

    case.embargo.refresh_from_db()
    out.emit({"case": case.pk, **embargo_data(case.embargo)}, f"case #{case.pk}: {text}")


def _end(embargo):
    return f"{embargo.end_at:%Y-%m-%d %H:%M} UTC" if embargo.end_at else "no end in force"


def propose(args, out):
    from secdesk.cases.actions.embargo import do_propose_embargo
    from secdesk.lib.dates import parse_when

    person = acting(args)
    case = visible_case(args, person)
    end = parse_when(args.end) if args.end else None
    proposal = do_propose_embargo(
        case, end=end, days=args.days, justification=read_text(args.justification), acting=person
    )
    kind = "extension" if proposal.is_extension else "embargo"
    _emit(out, case, f"{kind} until {proposal.end_at:%Y-%m-%d %H:%M} UTC proposed")


def accept(args, out):
    from secdesk.cases.actions.embargo import do_accept_embargo

    person = acting(args)
    case = visible_case(args, person)
    embargo = do_accept_embargo(case, acting=person)
    _emit(out, case, f"embargo in force until {_end(embargo)}")


def reject(args, out):
    from secdesk.cases.actions.embargo import do_reject_embargo

    person = acting(args)
    case = visible_case(args, person)
    embargo = do_reject_embargo(case, reason=args.reason, acting=person)
    _emit(out, case, f"proposal rejected; embargo {embargo.state}, {_end(embargo)}")


def agree(args, out):
    from secdesk.cases.actions.embargo import do_agree_embargo

    person = acting(args)
    case = visible_case(args, person)
    do_agree_embargo(case, reason=args.reason, acting=person)
    _emit(out, case, f"{person.email} agrees to the proposal")


def object_(args, out):
    from secdesk.cases.actions.embargo import do_object_embargo

    person = acting(args)
    case = visible_case(args, person)
    do_object_embargo(case, reason=args.reason, acting=person)
    _emit(out, case, f"{person.email} objects to the proposal")


def restart(args, out):
    from secdesk.cases.actions.embargo import do_restart_embargo

    person = acting(args)
    case = visible_case(args, person)
    embargo = do_restart_embargo(case, days=args.days, acting=person)
    _emit(out, case, f"clock restarted; embargo until {_end(embargo)} (restart {embargo.restarts})")


def end(args, out):
    from secdesk.cases.actions.embargo import do_terminate_embargo

    person = acting(args)
    case = visible_case(args, person)
    do_terminate_embargo(case, reason=args.reason, acting=person)
    _emit(out, case, "embargo ended by team decision")
