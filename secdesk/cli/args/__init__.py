"""The command line's arguments: light modules, so that `--help` answers without
Django. Each command is made by the functions listed for it, in the order
`secdesk --help` lists them; a command that is not run is only named, with its
help, so that a command's start does not pay for building all the others."""

from secdesk.cli.args import (
    account,
    admin,
    advisories,
    audit,
    cases,
    embargo,
    git,
    mail,
    projects,
    repos,
    run,
    tokens,
)

COMMANDS = {
    "serve": ("everything in one process: web and worker (embedded default)", [run.serve]),
    "web": ("the web interface alone (production)", [run.web]),
    "worker": ("the worker alone (production)", [run.worker]),
    "migrate": ("apply database migrations", [run.migrate]),
    "check": (
        "check the deployment: private data, site address, CSRF origins, proxies, relay; "
        "exit 1 on an error",
        [run.check],
    ),
    "admin": ("site administration (run by the operator)", [admin.admin]),
    "project": ("projects", [projects.project]),
    "policy": ("a project's embargo policy", [projects.policy]),
    "member": ("the team", [projects.member]),
    "case": ("receive reports and work cases", [cases.case, mail.case_reply]),
    "cve": ("CVE ids", [cases.cve, advisories.cve_pool]),
    "fix": ("fix commits", [cases.fix, repos.fix_in_git]),
    "advisory": ("a case's advisory", [advisories.advisory]),
    "docs": ("the public security documents", [advisories.docs]),
    "embargo": ("embargoes under the project's policy", [embargo.embargo]),
    "audit": ("the audit trail", [audit.audit]),
    "git": ("fixes in git: affected releases, leak guard", [git.git]),
    "mail": ("the mail intake daemon (SMTP, or LMTP behind an MTA)", [mail.mail]),
    "moderation": ("held mail: approve, reject, spam", [mail.moderation]),
    "quarantine": ("mail secdesk could not handle", [mail.quarantine]),
    "outbox": ("outgoing mail", [mail.outbox]),
    "token": ("your personal API tokens", [tokens.token]),
    "account": ("your own account", [account.account]),
    "repo": ("a project's git repositories and maintained branches", [repos.repo]),
}


def add_commands(commands, only: str | None = None):
    """Every command to `commands` (argparse sub-parsers); with `only`, the
    others are named with their help but get no arguments."""
    for name, (text, makers) in COMMANDS.items():
        parser = commands.add_parser(name, help=text)
        if only is None or name == only:
            for make in makers:
                make(parser)
