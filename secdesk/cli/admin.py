"""`secdesk admin …`: site administrators and login links (for the operator)."""


def create(args, out):
    from secdesk.teams.actions import do_create_admin
    from secdesk.teams.login_links import issue_login_link

    person = do_create_admin(args.email, name=args.name)
    link = issue_login_link(person.user)
    out.emit(
        {"email": person.email, "login_link": link},
        f"site administrator {person.email}; log in once with:\n{link}",
    )


def login_link(args, out):
    from secdesk.errors import Refused
    from secdesk.teams.actions import person_by_email
    from secdesk.teams.login_links import issue_login_link

    person = person_by_email(args.email)
    if person.user is None or not person.user.is_active:
        raise Refused(f"{person.email} has no login")
    link = issue_login_link(person.user)
    out.emit({"email": person.email, "login_link": link}, link)


def reset_factors(args, out):
    from secdesk.accounts.reset import do_reset_factors
    from secdesk.teams.actions import person_by_email

    done = do_reset_factors(person_by_email(args.email), acting=None)
    told = "told by mail" if done["told_by_mail"] else "on no team, so not told by mail"
    out.emit(
        done,
        f"login factors of {done['email']} reset ({told}); give them a one-time login link:\n"
        f"secdesk admin login-link {done['email']}",
    )
