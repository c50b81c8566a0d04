"""The rules: each a tiny yes/no check on an incoming message, with its reason.

A rule answers with the reason it matched, or None. Rules decide nothing on
their own: the chains in `chain.py` say what a match leads to. Membership comes
only from authentication — an OpenPGP signature over the whole message by a
key bound to a member (recent, and not seen before), or the site's MTA
vouching for a DKIM signature aligned with a member's address — never from
From, Reply-To or Sender.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from secdesk.cases.models import Case
from secdesk.lib import openpgp
from secdesk.mail import addresses, authresults
from secdesk.mail.parsing import AttachmentPart, Parsed, Unparseable, clean, parse
from secdesk.teams import keys
from secdesk.teams.models import MemberKey, Person, Project


@dataclass
class Incoming:
    """An inbound message and what secdesk learns about it while the rules run."""

    raw: bytes
    mail_from: str
    project: Project
    parsed: Parsed | None
    inbound_id: int
    case: Case | None = None
    token_case: bool = False  # found by the token in its address, not by threading
    loop: bool = False
    member: Person | None = None
    how_authenticated: str = ""
    # Why an OpenPGP signature on the message does not make it a member's.
    signature_problem: str = ""
    claimed_members: list[str] = field(default_factory=list)
    reporter_address: str = ""
    acknowledgements_today: int = 0
    # Why no automatic reply may go out (RFC 3834), for a new report.
    acknowledge_refused: list[dict] = field(default_factory=list)

    @property
    def from_address(self) -> str:
        if self.parsed and self.parsed.from_addresses:
            return self.parsed.from_addresses[0]
        return ""


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Incoming], str | None]


RULES: dict[str, Rule] = {}


def rule(check: Callable[[Incoming], str | None]) -> Callable[[Incoming], str | None]:
    RULES[check.__name__] = Rule(check.__name__, check)
    return check


# --- what kind of message it is ---------------------------------------------


@rule
def unparseable(msg: Incoming) -> str | None:
    if msg.parsed is None:
        return "the message could not be read as MIME"
    return None


@rule
def no_sender(msg: Incoming) -> str | None:
    if not msg.reporter_address:
        return "no usable sender address in From or the envelope"
    return None


@rule
def loop(msg: Incoming) -> str | None:
    if msg.loop:
        return "our own message came back (its Message-ID is one secdesk sent)"
    return None


@rule
def authenticated_member(msg: Incoming) -> str | None:
    if msg.member is not None:
        return f"from member {msg.member.email}, {msg.how_authenticated}"
    return None


@rule
def suspected_spam(msg: Incoming) -> str | None:
    flag = msg.parsed.header("x-spam-flag").lower()
    status = msg.parsed.header("x-spam-status").lower()
    if flag.startswith("yes") or status.startswith("yes"):
        return "the MTA's spam filter flagged it (held, never dropped)"
    return None


@rule
def reporter_of_case(msg: Incoming) -> str | None:
    case = msg.case
    if case is None or case.reporter is None:
        return None
    if msg.reporter_address.lower() == case.reporter.email.lower():
        how = "its reply address" if msg.token_case else "In-Reply-To/References"
        return f"the reporter of case {case.reference} writing into it (found by {how})"
    return None


@rule
def bad_signature(msg: Incoming) -> str | None:
    if msg.signature_problem:
        return f"OpenPGP signature not accepted: {msg.signature_problem}"
    return None


@rule
def claims_membership(msg: Incoming) -> str | None:
    if msg.claimed_members:
        return (
            f"names member {', '.join(msg.claimed_members)} in From/Reply-To/Sender but is "
            "not authenticated as them"
        )
    return None


@rule
def not_a_member(msg: Incoming) -> str | None:
    return "the sender is not an authenticated member"


# --- whether an automatic answer may go out (RFC 3834) ----------------------


@rule
def auto_submitted(msg: Incoming) -> str | None:
    value = msg.parsed.header("auto-submitted").lower()
    if value and not value.startswith("no"):
        return f"Auto-Submitted: {value}"
    return None


@rule
def bulk_or_list(msg: Incoming) -> str | None:
    precedence = msg.parsed.header("precedence").lower()
    if precedence in ("bulk", "list", "junk"):
        return f"Precedence: {precedence}"
    if msg.parsed.header("list-id"):
        return "mail from a mailing list (List-Id)"
    return None


@rule
def from_a_robot(msg: Incoming) -> str | None:
    if not msg.mail_from:
        return "empty envelope sender (a bounce)"
    if addresses.is_robot(msg.mail_from) or addresses.is_robot(msg.reporter_address):
        return "a mailer-daemon, postmaster or list robot"
    return None


@rule
def acknowledged_enough_today(msg: Incoming) -> str | None:
    limit = msg.project.policy.acknowledgements_per_day
    if msg.acknowledgements_today >= limit:
        return f"already {msg.acknowledgements_today} automatic replies today (limit {limit})"
    return None


# --- how a sender is authenticated ------------------------------------------


class Senders:
    """The members who may have sent a message, indexed once for a batch: by
    the fingerprints of their keys and by address."""

    def __init__(self, members: list[Person]):
        by_pk = {member.pk: member for member in members}
        self.by_fingerprint: dict[str, tuple[MemberKey, Person]] = {
            key.fingerprint: (key, by_pk[key.person_id])
            for key in MemberKey.objects.filter(person__in=list(by_pk), removed_at__isnull=True)
        }
        self.keys = [key.armoured for key, _ in self.by_fingerprint.values()]
        self.by_address: dict[str, Person] = {}
        for member in members:
            self.by_address.setdefault(member.email.lower(), member)


def authenticate(msg: Incoming, senders: Senders) -> None:
    """Find the member who sent the message, if one provably did.

    A signature that does not count leaves its reason for the moderator. When
    it is one by a member's key that fails here (too old, seen before, another
    From), the MTA's word is not taken over it: that is what a replay looks
    like. A signature only in part of the message (a forwarded signed mail, a
    footer) leaves the MTA's DKIM verdict, which covers the whole body, to decide."""
    parsed = msg.parsed
    try:
        signed = openpgp.signature(msg.raw, parsed.message, senders.keys)
    except openpgp.Unverified as err:
        msg.signature_problem = str(err)
        signed = None
    if signed is not None:
        key, member = senders.by_fingerprint[signed.fingerprint]
        content = _what_was_signed(parsed, signed)
        if [a.lower() for a in parsed.from_addresses] != [member.email.lower()]:
            problem = f"signed with the key of {member.email}, but From names someone else"
        elif content is None:
            problem = "the signed part cannot be read as MIME"
        else:
            problem = keys.signature_problem(signed, key, msg.project.policy, msg.inbound_id)
        if problem is None:
            # What is distributed is what was signed, and nothing else.
            parsed.body, parsed.attachments = content
            msg.member, msg.how_authenticated = member, "OpenPGP signature"
            return
        msg.signature_problem = problem
    project = msg.project
    if signed is None and project.trust_mta_authentication and len(parsed.from_addresses) == 1:
        sender = parsed.from_addresses[0].lower()
        member = senders.by_address.get(sender)
        if member is not None and authresults.dkim_pass_for(
            parsed.message, sender, project.mta_authserv_id
        ):
            msg.member, msg.how_authenticated = member, "DKIM pass from the site's MTA"
            return
    named = {a.lower() for a in parsed.from_addresses}
    for header in ("reply-to", "sender"):
        named |= {a.lower() for a in _addresses(parsed.header(header))}
    msg.claimed_members = sorted(
        senders.by_address[a].email for a in named if a in senders.by_address
    )


def _what_was_signed(
    parsed: Parsed, signed: openpgp.Signature
) -> tuple[str, list[AttachmentPart]] | None:
    """The text and attachments that were signed, read from the very bytes
    that were verified: the signed MIME part (PGP/MIME), or the signed text
    without its armour (inline). None if the signed part cannot be read."""
    if signed.mime:
        try:
            inner = parse(signed.data)
        except Unparseable:
            return None
        return inner.body, inner.attachments
    try:
        text = signed.data.decode(parsed.message.get_content_charset() or "utf-8", "replace")
    except LookupError:
        text = signed.data.decode("utf-8", "replace")
    return clean(text), []


def _addresses(value: str) -> list[str]:
    from email.utils import getaddresses

    return [a for _, a in getaddresses([value]) if "@" in a]
