from django.db import models


class AuditEvent(models.IntegerChoices):
    PROJECT_CREATED = 100, "project created"
    POLICY_CHANGED = 101, "policy changed"
    ADMIN_CREATED = 110, "admin created"
    MEMBER_ADDED = 111, "member added"
    MEMBER_CONSENTED = 112, "member consented"
    MEMBER_DECLINED = 113, "member declined"
    MEMBER_REMOVED = 114, "member removed"
    ROLE_CHANGED = 115, "role changed"
    AUDIT_EXPORTED = 116, "audit trail exported"
    AUDIT_ANCHORED = 117, "audit trail anchored"
    JOIN_REQUESTED = 120, "membership requested"
    MEMBER_VOUCHED = 121, "vouched for"
    JOIN_APPROVED = 122, "membership approved"
    JOIN_REJECTED = 123, "membership request rejected"
    API_TOKEN_CREATED = 130, "API token created"
    API_TOKEN_REVOKED = 131, "API token revoked"
    SECOND_FACTOR_ADDED = 132, "second factor added"
    MEMBER_KEY_ADDED = 133, "OpenPGP key added"
    MEMBER_KEY_REPLACED = 134, "OpenPGP key replaced"
    MEMBER_KEY_REMOVED = 135, "OpenPGP key removed"
    PASSWORD_SET = 136, "password set"
    PASSKEY_ADDED = 137, "passkey added"
    PASSKEY_RENAMED = 138, "passkey renamed"
    PASSKEY_REMOVED = 139, "passkey removed"
    RECOVERY_CODES_MADE = 140, "recovery codes made"
    RECOVERY_CODE_USED = 141, "recovery code used"
    PASSWORD_RESET_MAILED = 142, "password reset mailed"
    FACTORS_RESET = 143, "login factors reset"
    REPORT_RECEIVED = 200, "report received"
    REPORT_HELD = 201, "report held"
    REPORT_VALIDATED = 202, "report validated"
    REPORT_INVALIDATED = 203, "report invalidated"
    REPORT_ACCEPTED = 204, "report accepted"
    REPORT_DEFERRED = 205, "report deferred"
    REPORT_CLOSED = 206, "report closed"
    REPORT_MARKED_DUPLICATE = 207, "report marked duplicate"
    TRIAGE_RECORDED = 210, "triage recorded"
    CASE_RESTRICTED = 230, "case access restricted"
    CASE_VIEWED = 240, "confidential case viewed"
    FACT_SET = 220, "fact set"
    FIX_FOUND_FAULTY = 221, "fix found faulty"
    EMBARGO_PROPOSED = 300, "embargo proposed"
    EMBARGO_ACCEPTED = 301, "embargo accepted"
    EMBARGO_REJECTED = 302, "embargo rejected"
    EMBARGO_AGREED = 303, "embargo agreed"
    EMBARGO_OBJECTED = 304, "embargo objected"
    EMBARGO_RESTARTED = 305, "embargo restarted"
    EMBARGO_EXITED = 306, "embargo exited"
    CVE_ASSIGNED = 400, "CVE assigned"
    FIX_RECORDED = 500, "fix recorded"
    CASE_PUBLISHED = 600, "case published"
    CVE_IDS_IMPORTED = 800, "CVE ids added to the pool"
    CVE_RELEASED = 801, "CVE id released to the pool"
    CVE_REJECTED = 802, "CVE id rejected"
    CVE_SERVICES_CONFIGURED = 803, "CVE Services account set"
    ADVISORY_EDITED = 804, "advisory edited"
    PUBLICATION_STARTED = 805, "publication started"
    ANNOUNCEMENT_QUEUED = 806, "announcement queued"
    ADVISORY_FILES_WRITTEN = 807, "advisory published on the web"
    CVE_RECORD_PUBLISHED = 808, "CVE record published"
    EMBARGO_REMINDER_SENT = 809, "embargo end reminder sent"
    EXPIRED_INCOMPLETE_ALERTED = 810, "admins alerted: embargo expired incomplete"
    SECURITY_CONTACT_CHANGED = 811, "security contact changed"
    ADVISORY_AMENDED = 812, "published advisory amended"
    MAIL_QUARANTINED = 700, "mail quarantined"
    MAIL_DISCARDED = 701, "mail discarded"
    MAIL_HELD = 702, "mail held for moderation"
    MAIL_APPENDED = 703, "mail appended to a case"
    REPLY_POSTED = 704, "reply posted"
    HELD_REPORT_ESCALATED = 705, "held report escalated to the admins"
    MAIL_RELEASED = 706, "mail released from quarantine"
    HELD_MAIL_REJECTED = 707, "held mail rejected"
    OUTGOING_RETRIED = 708, "outgoing mail retried"
    REPOSITORY_ADDED = 900, "repository added"
    MAINTAINED_BRANCH_ADDED = 901, "maintained branch added"
    MAINTAINED_BRANCH_REMOVED = 902, "maintained branch removed"
    REPOSITORIES_FETCHED = 903, "repositories fetched"
    INTRODUCING_COMMIT_RECORDED = 904, "introducing commit recorded"
    BRANCH_NOT_AFFECTED = 905, "branch marked not affected"
    REPORTER_REPLIED = 1000, "reporter replied on the web"
    REPORTER_LINK_REISSUED = 1001, "reporter's private link reissued"
    LIST_ADDRESSES_CHANGED = 1050, "list addresses changed"
    CALENDAR_FEED_CREATED = 1051, "calendar feed created"
    CALENDAR_FEED_REVOKED = 1052, "calendar feed revoked"
    PACKAGE_IDENTITY_CHANGED = 1060, "package identity changed"


class AuditHead(models.Model):
    """One row: the hash of the newest record. Locking it orders the chain, so two
    concurrent actions can never both extend the same record."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.PositiveBigIntegerField(default=0)
    # An HMAC of count and last_hash with the audit key: a head rewritten without
    # the key (to hide records cut off the end) does not match it.
    seal = models.CharField(max_length=64, default="")


class AuditRecord(models.Model):
    """Append-only and hash-chained: each record holds the hash of the one before,
    and its own hash is an HMAC with the audit key (secdesk/audit/seal.py)."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey("teams.Person", null=True, on_delete=models.PROTECT, related_name="+")
    # Not a `choices` field: new kinds of event are added in code, with no
    # migration, and old records keep their number.
    event = models.PositiveSmallIntegerField()
    project_id = models.BigIntegerField(null=True, db_index=True)
    case_id = models.BigIntegerField(null=True, db_index=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"{self.seq} {self.get_event_display()}"

    def get_event_display(self) -> str:
        try:
            return AuditEvent(self.event).label
        except ValueError:
            return f"event {self.event}"


class AuditAnchor(models.Model):
    """The head of the chain at one moment, sealed with the audit key, kept here and
    mailed to the admins: a copy beyond the database's reach, against which a
    rewritten or shortened trail shows."""

    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    seal = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"anchor of record {self.seq}"

    @property
    def stamp(self) -> str:
        return f"{self.at:%Y%m%dT%H%M%SZ}"

    @property
    def token(self) -> str:
        """The anchor as the admins receive it, and as `audit verify --anchor` reads it."""
        return f"{self.seq}:{self.hash}:{self.stamp}:{self.seal}"
