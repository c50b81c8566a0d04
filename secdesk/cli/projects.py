"""`secdesk project …`, `secdesk policy …`, `secdesk member …`."""

from secdesk.cli.common import acting


def _policy_data(policy):
    from secdesk.teams.actions import POLICY_FIELDS

    return {
        "project": policy.project.slug,
        "version": policy.version,
        **{f: getattr(policy, f) for f in POLICY_FIELDS},
    }


def create_project(args, out):
    from secdesk.teams.actions import do_create_project

    project = do_create_project(
        slug=args.slug,
        name=args.name,
        security_address=args.security_address,
        dev_list=args.dev_list,
        announce_list=args.announce_list,
        acting=acting(args),
    )
    out.emit(
        {"slug": project.slug, "name": project.name, "security_address": project.security_address},
        f"project {project.slug} created; you are its admin",
    )


def list_projects(args, out):
    from secdesk.teams.access import projects_of

    rows = [
        {"slug": p.slug, "name": p.name, "security_address": p.security_address}
        for p in projects_of(acting(args))
    ]
    out.emit(
        rows,
        "\n".join(f"{r['slug']}\t{r['security_address']}\t{r['name']}" for r in rows)
        or "no projects",
    )


def _settings(items: list[str]) -> dict[str, str]:
    from secdesk.errors import BadInput

    changes = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise BadInput(f"expected NAME=VALUE, got {item!r}")
        changes[name.strip().replace("-", "_")] = value
    return changes


def show_project(args, out):
    from secdesk.advisories.package_identity import as_json, identity_of
    from secdesk.teams.access import require_role
    from secdesk.teams.actions import project_by_slug

    project = project_by_slug(args.project)
    require_role(acting(args), project)
    data = {
        "slug": project.slug,
        "name": project.name,
        "security_address": project.security_address,
        "dev_list": project.dev_list,
        "announce_list": project.announce_list,
        **as_json(identity_of(project)),
    }
    del data["project"]
    out.emit(data, "\n".join(f"{k}: {v}" for k, v in data.items()))


def set_project(args, out):
    from secdesk.advisories.package_identity import as_json, do_set_package_identity
    from secdesk.teams.actions import project_by_slug

    identity = do_set_package_identity(
        project_by_slug(args.project), _settings(args.settings), acting=acting(args)
    )
    data = as_json(identity)
    out.emit(data, "\n".join(f"{k}: {v}" for k, v in data.items()))


def show_policy(args, out):
    from secdesk.teams.access import require_role
    from secdesk.teams.actions import project_by_slug

    project = project_by_slug(args.project)
    require_role(acting(args), project)
    data = _policy_data(project.policy)
    out.emit(data, "\n".join(f"{k}: {v}" for k, v in data.items()))


def set_policy(args, out):
    from secdesk.teams.actions import do_set_policy, project_by_slug

    policy = do_set_policy(
        project_by_slug(args.project), _settings(args.settings), acting=acting(args)
    )
    out.emit(
        _policy_data(policy),
        f"policy of {args.project} is now version {policy.version}; members must accept it again",
    )


def add_member(args, out):
    from secdesk.teams.actions import do_add_member, project_by_slug

    m = do_add_member(
        project_by_slug(args.project),
        email=args.email,
        name=args.name,
        role=args.role,
        organisation=args.org,
        acting=acting(args),
    )
    out.emit(
        {"project": args.project, "email": m.person.email, "role": m.role, "consent": m.consent},
        f"{m.person.email} invited as {m.role}; they join once they accept the policy",
    )


def accept_policy(args, out):
    from secdesk.teams.actions import do_accept_policy, project_by_slug

    m = do_accept_policy(project_by_slug(args.project), acting=acting(args))
    out.emit(
        {
            "project": args.project,
            "email": m.person.email,
            "consent": m.consent,
            "policy_version": m.consent_version,
        },
        f"{m.person.email} accepted policy v{m.consent_version} of {args.project}",
    )


def decline_policy(args, out):
    from secdesk.teams.actions import do_decline_policy, project_by_slug

    m = do_decline_policy(project_by_slug(args.project), acting=acting(args))
    out.emit(
        {"project": args.project, "email": m.person.email, "consent": m.consent},
        f"{m.person.email} declined; not on the {args.project} team",
    )


def list_members(args, out):
    from secdesk.teams.access import require_role
    from secdesk.teams.actions import project_by_slug

    project = project_by_slug(args.project)
    require_role(acting(args), project)
    rows = [
        {
            "email": m.person.email,
            "role": m.role,
            "organisation": m.organisation,
            "consent": m.consent,
            "policy_version": m.consent_version,
            "removed": m.removed_at is not None,
        }
        for m in project.memberships.select_related("person").order_by("person__email")
    ]
    out.emit(
        rows,
        "\n".join(f"{r['email']}\t{r['role']}\t{r['consent']}\t{r['organisation']}" for r in rows),
    )


def _request_data(r):
    return {
        "project": r.project.slug,
        "email": r.person.email,
        "organisation": r.organisation,
        "state": r.state,
        "vouched_by": [v.member.email for v in r.vouches.all()],
    }


def request_membership(args, out):
    from secdesk.cli.common import read_text
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_request_membership

    r = do_request_membership(
        project_by_slug(args.project),
        email=args.email,
        name=args.name,
        organisation=args.org,
        statement=read_text(args.statement),
    )
    out.emit(
        _request_data(r),
        f"{r.person.email} asked to join {args.project}; members vouch, then an admin approves",
    )


def list_requests(args, out):
    from secdesk.teams.access import require_role
    from secdesk.teams.actions import project_by_slug

    project = project_by_slug(args.project)
    require_role(acting(args), project)
    rows = [
        _request_data(r)
        for r in project.join_requests.filter(state="pending")
        .select_related("person", "project")
        .prefetch_related("vouches__member")
    ]
    out.emit(
        rows,
        "\n".join(
            f"{r['email']}\t{r['organisation']}\tvouched by: "
            f"{', '.join(r['vouched_by']) or 'nobody'}"
            for r in rows
        )
        or "no open requests",
    )


def vouch(args, out):
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_vouch

    v = do_vouch(
        project_by_slug(args.project),
        email=args.email,
        statement=args.statement,
        acting=acting(args),
    )
    out.emit(_request_data(v.request), f"{v.member.email} vouched for {args.email}")


def approve(args, out):
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_approve_request

    m = do_approve_request(
        project_by_slug(args.project), email=args.email, role=args.role, acting=acting(args)
    )
    out.emit(
        {"project": args.project, "email": m.person.email, "role": m.role, "consent": m.consent},
        f"{m.person.email} approved as {m.role}; they join once they accept the policy",
    )


def reject(args, out):
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_reject_request

    r = do_reject_request(
        project_by_slug(args.project), email=args.email, reason=args.reason, acting=acting(args)
    )
    out.emit(_request_data(r), f"the request from {args.email} was rejected")


def remove(args, out):
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_remove_member

    m = do_remove_member(
        project_by_slug(args.project), email=args.email, reason=args.reason, acting=acting(args)
    )
    out.emit(
        {"project": args.project, "email": m.person.email, "removed_at": m.removed_at},
        f"{m.person.email} removed from {args.project}; sessions and API tokens ended",
    )


def change_role(args, out):
    from secdesk.teams.actions import project_by_slug
    from secdesk.teams.joining import do_change_role

    m = do_change_role(
        project_by_slug(args.project), email=args.email, role=args.role, acting=acting(args)
    )
    out.emit(
        {"project": args.project, "email": m.person.email, "role": m.role},
        f"{m.person.email} is now {m.role} in {args.project}",
    )
