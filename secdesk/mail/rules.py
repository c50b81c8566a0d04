"""The rules: each a tiny yes/no check on an incoming message, with its reason.

A rule answers with the reason it matched (a text, or a dict with its "reason"
and what a moderator may use besides), or None. Rules decide nothing on their
own: the chains in `chain.py` say what a match leads to. Membership comes only
from authentication — an OpenPGP signature over the whole message by a key
bound to a member (recent, and not seen before), or the site's MTA vouching for
a DKIM signature aligned with a member's address — never from From, Reply-To or
Sender. A mail is attributed to someone only through a reply address, and only
to the one person it was issued to, while they keep their access; In-Reply-To
and References never attribute a mail to anyone.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import getaddresses

from secdesk.cases.models import Capability, Case
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
    # The reply address's capability its recipients name (live or not, of any
    # project), and the case of that capability if it is this project's.
    reply_capability: Capability | None = None
    case: Case | None = None
    # A case the mail answers by In-Reply-To/References: for a moderator, no more.
    suggested_case: int | None = None
    loop: bool = False
    # An earlier message this one is a copy of (sent again), and whether
    # that one was read into its case.
    copy_of: int | None = None
    copy_read_in: bool = False
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
    def holder(self) -> Person | None:
        """Whom the reply address stands for: its holder, while they have access."""
        capability = self.reply_capability
        if capability is None or self.case is None or not capability.admits:
            return None
        return capability.person

    @property
    def from_address(self) -> str:
        if self.parsed and self.parsed.from_addresses:
            return self.parsed.from_addresses[0]
        return ""


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Incoming], str | dict | None]


RULES: dict[str, Rule] = {}


def rule(check: Callable[[Incoming], str | dict | None]) -> Callable[[Incoming], str | dict | None]:
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
def already_received(msg: Incoming) -> str | None:
    if msg.copy_of is not None and msg.copy_read_in:
        return (
            f"a copy of inbound message #{msg.copy_of} (the same sender, recipients, "
            "headers and text), sent again: what it says is in already"
        )
    return None


@rule
def copy_of_held(msg: Incoming) -> str | None:
    """A note for the moderator, no more: what the copy's trace headers say
    (a spam verdict) is not the first's, so the rules read it as its own."""
    if msg.copy_of is not None and not msg.copy_read_in:
        return (
            f"looks like a copy of inbound message #{msg.copy_of}, which a moderator holds "
            "or has rejected (the same sender, recipients, headers and text)"
        )
    return None


# --- whom a reply address stands for ---------------------------------------


@rule
def dead_reply_address(msg: Incoming) -> str | None:
    capability = msg.reply_capability
    if capability is None or msg.holder is not None:
        return None
    if msg.case is None:
        return "the reply address belongs to another project"
    if capability.revoked_at is not None:
        return f"the reply address of {capability.person.email} was revoked"
    return (
        f"the reply address belongs to {capability.person.email}, who no longer has "
        "access to the case"
    )


@rule
def reply_address_mismatch(msg: Incoming) -> str | None:
    holder = msg.holder
    if holder is None or msg.member is None or msg.member == holder:
        return None
    return f"authenticated as member {msg.member.email}, but the reply address is {holder.email}'s"


@rule
def member_reply_address(msg: Incoming) -> str | None:
    if msg.member is not None and msg.member == msg.holder:
        return (
            f"from member {msg.member.email}, {msg.how_authenticated}, through their own "
            "reply address"
        )
    return None


@rule
def authenticated_member(msg: Incoming) -> str | None:
    """A member's new thread to the security address."""
    if msg.member is None or msg.reply_capability is not None:
        return None
    if msg.suggested_case is not None:
        return None
    return f"from member {msg.member.email}, {msg.how_authenticated}"


@rule
def threaded_to_case(msg: Incoming) -> dict | None:
    if msg.suggested_case is None:
        return None
    return {
        "reason": "it answers mail about a case (In-Reply-To/References) but was not sent to "
        "a reply address: a moderator who may see that case can tell whether it belongs there",
        "suggested_case": msg.suggested_case,
    }


@rule
def suspected_spam(msg: Incoming) -> str | None:
    flag = msg.parsed.header("x-spam-flag").lower()
    status = msg.parsed.header("x-spam-status").lower()
    if flag.startswith("yes") or status.startswith("yes"):
        return "the MTA's spam filter flagged it (held, never dropped)"
    return None


@rule
def reply_address_unauthenticated(msg: Incoming) -> str | None:
    holder = msg.holder
    if holder is None or msg.member is not None or holder.pk == msg.case.reporter_id:
        return None
    return (
        f"the reply address is member {holder.email}'s, but the mail is not authenticated "
        "as them (OpenPGP or DKIM)"
    )


@rule
def reporter_reply_address(msg: Incoming) -> str | None:
    holder = msg.holder
    if holder is None or holder.pk != msg.case.reporter_id:
        return None
    return (
        f"the reporter of case {msg.case.reference}, through their own reply address "
        "(whatever its From says)"
    )


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
    if msg.member is None:
        return "the sender is not an authenticated member"
    return None


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
    except (LookupError, ValueError):  # an unknown charset, or a NUL in its name
        text = signed.data.decode("utf-8", "replace")
    return clean(text), []


def _addresses(value: str) -> list[str]:
    return [a for _, a in getaddresses([value]) if "@" in a]
