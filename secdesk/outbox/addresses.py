"""The addresses on secdesk's own mail: reply addresses `<local>+<token>@<domain>`
on a project's security address, and Message-IDs on its domain."""

import functools
import secrets


# Cached: a post to 50 members builds 50 reply addresses on the one security
# address, and splitting it each time was 4% of the intake's work on the post.
@functools.lru_cache(maxsize=1024)
def split(address: str) -> tuple[str, str, str]:
    """(local, detail, domain) of `local+detail@domain`, lowercased."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    local, _, detail = local.partition("+")
    return local.lower(), detail.lower(), domain.lower()


NO_REPLY = "no-reply"


def no_reply_address(project) -> str:
    """Where answers to account mail go: refused at RCPT, so an answer quoting a
    password reset link is stored nowhere and read by nobody (answered at the
    security address, it would open a report the whole team reads)."""
    local, _, domain = split(project.security_address)
    return f"{local}+{NO_REPLY}@{domain}"


def reply_address(project, token: str) -> str:
    """The address whose mail is attributed to the one person `token` was
    issued to (`secdesk.cases.capabilities`)."""
    local, _, domain = split(project.security_address)
    return f"{local}+{token}@{domain}"


def new_message_id(project) -> str:
    # Ours are recognisable by shape, and each is also stored with its outbox
    # row, so loop detection can look them up.
    _, _, domain = split(project.security_address)
    return f"<secdesk.{secrets.token_hex(12)}@{domain}>"
