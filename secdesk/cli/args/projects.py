"""The arguments of `secdesk project …`, `secdesk policy …`, `secdesk member …`."""


def project(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("create", help="a new project with the default policy (site admins)")
    p.add_argument("slug", help="the short name, in case references (slug#1)")
    p.add_argument("--name", default="", help="the project's name (default: the slug)")
    p.add_argument(
        "--security-address", required=True, metavar="EMAIL", help="the address reporters write to"
    )
    p.add_argument("--dev-list", default="", metavar="EMAIL", help="the project's development list")
    p.add_argument(
        "--announce-list", default="", metavar="EMAIL", help="where advisories are announced"
    )
    p.set_defaults(handler="projects:create_project")
    p = sub.add_parser("list", help="the projects you are on")
    p.set_defaults(handler="projects:list_projects")
    p = sub.add_parser("show", help="a project's addresses and how advisories name it")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:show_project")
    p = sub.add_parser(
        "set",
        help="how advisories name the project's software (admins)",
        description="Settings: product (the name in every format; the project's name if "
        "empty), ecosystem and package_name (OSV's, e.g. PyPI and requests; leave both empty "
        "for a project published only as source), purl (pkg:TYPE/NAME), cpe (CPE 2.3), "
        "repository_url (the public https address, not the mirror's), version_type "
        "(semver or custom; empty: semver when every release is N.N.N). An empty value "
        "clears a setting.",
    )
    p.add_argument("project", help="the project's slug")
    p.add_argument("settings", nargs="*", metavar="NAME=VALUE", help="the settings to change")
    p.set_defaults(handler="projects:set_project")


def policy(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("show", help="the policy's settings and version")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:show_policy")
    p = sub.add_parser("set", help="change settings (admins); members must accept it again")
    p.add_argument("project", help="the project's slug")
    p.add_argument("settings", nargs="+", metavar="NAME=VALUE", help="the settings to change")
    p.set_defaults(handler="projects:set_policy")


def member(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="invite a person to the team (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("--name", default="", help="the person's name")
    p.add_argument(
        "--role",
        default="member",
        choices=["member", "moderator", "admin"],
        help="the role on the team (default: member)",
    )
    p.add_argument("--org", default="", help="the member's organisation")
    p.set_defaults(handler="projects:add_member")
    p = sub.add_parser("accept-policy", help="accept the project's embargo policy (joins the team)")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:accept_policy")
    p = sub.add_parser("decline-policy", help="decline the embargo policy (does not join)")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:decline_policy")
    p = sub.add_parser("list", help="the team")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:list_members")
    _joining(sub)
    p = sub.add_parser("remove", help="remove a member; their access ends at once (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("--reason", required=True, help="why: recorded in the audit trail")
    p.set_defaults(handler="projects:remove")
    p = sub.add_parser("role", help="change a member's role (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("role", choices=["member", "moderator", "admin"], help="the new role")
    p.set_defaults(handler="projects:change_role")


def _joining(sub):
    """Asking to join a team, vouching, and the admins' answer."""
    p = sub.add_parser("request", help="ask to join a team (anyone)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("--name", default="", help="your name")
    p.add_argument("--org", required=True, help="the vendor or distribution represented")
    p.add_argument("--statement", required=True, help="who they are; - or @FILE")
    p.set_defaults(handler="projects:request_membership")
    p = sub.add_parser("requests", help="open requests to join, with their vouches")
    p.add_argument("project", help="the project's slug")
    p.set_defaults(handler="projects:list_requests")
    p = sub.add_parser("vouch", help="vouch for someone asking to join (members)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("--statement", default="", help="why you vouch for them")
    p.set_defaults(handler="projects:vouch")
    p = sub.add_parser("approve", help="approve a vouched request (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument(
        "--role",
        default="member",
        choices=["member", "moderator", "admin"],
        help="the role on the team (default: member)",
    )
    p.set_defaults(handler="projects:approve")
    p = sub.add_parser("reject", help="reject a request (admins)")
    p.add_argument("project", help="the project's slug")
    p.add_argument("email", help="the person's address")
    p.add_argument("--reason", required=True, help="why: the person is told")
    p.set_defaults(handler="projects:reject")
