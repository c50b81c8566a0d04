"""`secdesk embargo …`: propose, agree, accept, restart and end embargoes."""

from secdesk.cli.common import acting, read_text, visible_case


def _emit(out, case, text):
    from secdesk.cases.serialize import embargo_data

    case.embargo.refresh_from_db()
    out.emit(
        {"case": case.reference, **embargo_data(case.embargo)}, f"case {case.reference}: {text}"
    )


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
