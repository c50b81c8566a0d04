"""The public report form: a report sent here is the same as one
mailed to the security address. The form is written as an RFC 5322 message and
handed to the mail intake exactly as the SMTP daemon hands it a message, so the
same rules hold it for moderation and the same acknowledgement goes out.
"""

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from secdesk.lib.addresses import validate_address
from secdesk.mail import intake, spool
from secdesk.mail.addresses import Recipient
from secdesk.mail.models import Inbound, InboundMessage
from secdesk.teams.models import Project
from secdesk.web import report_guard
from secdesk.web.decorators import public_view
from secdesk.web.throttle import client_address

ATTACHMENT_BYTES = 10 * 1024 * 1024


def _one_line(text: str) -> str:
    # A line break in a header would start a new header: never let one through.
    return " ".join(text.split())


class ReportForm(forms.Form):
    # Any address mail can reach, jürgen@uni.example too (RFC 6531).
    email = forms.CharField(
        label="Your email address",
        help_text="The team answers you here.",
        max_length=254,
        validators=[validate_address],
        widget=forms.EmailInput,
    )
    name = forms.CharField(label="Your name", max_length=200, required=False)
    subject = forms.CharField(label="Summary", max_length=200)
    body = forms.CharField(
        label="The problem, with steps to reproduce",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=200_000,
    )
    attachment = forms.FileField(
        label="A file (proof of concept, logs), optional",
        required=False,
        help_text="At most 10 MB.",
    )

    def clean_name(self):
        return _one_line(self.cleaned_data["name"])

    def clean_subject(self):
        return _one_line(self.cleaned_data["subject"])

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload is not None and upload.size > ATTACHMENT_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; send a link instead.")
        return upload


def compose(project: Project, data: dict, client: str | None) -> bytes:
    """The report as the mail a reporter would have sent."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    now = timezone.now()
    message = EmailMessage()
    message["Received"] = f"from {client or 'unknown'} by {host} (secdesk report form); " + (
        format_datetime(now)
    )
    local, _, domain = data["email"].rpartition("@")
    message["From"] = Address(data["name"], local, domain)
    message["To"] = project.security_address
    message["Subject"] = data["subject"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=host)
    message.set_content(data["body"])
    upload = data.get("attachment")
    if upload is not None:
        maintype, _, subtype = (upload.content_type or "").partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            upload.read(), maintype=maintype, subtype=subtype, filename=upload.name
        )
    # UTF-8 headers as SMTPUTF8 mail carries them: an encoded word may not
    # stand for an address.
    return message.as_bytes(policy=policy.default.clone(utf8=True))


def submit(project: Project, data: dict, client: str | None) -> InboundMessage | None:
    """Store the report as the daemon stores mail, then run the rules on it now,
    so the confirmation can give the case reference. None if its row cannot
    be told for sure (renumbered on its way out of the spool): the reference
    then reaches the reporter by mail only."""
    envelope = intake.Envelope(
        raw=compose(project, data, client),
        mail_from=data["email"],
        recipients=[(project.security_address, Recipient(project.pk))],
        peer=f"web form {client or ''}".strip(),
    )
    reader = intake.Intake(spool.beside_database())
    try:
        [pk] = reader.store([envelope])
        # If the mail daemon's own reader claimed it first, it files it just the same.
        reader.process_one(pk)
    finally:
        reader.close()
    row = InboundMessage.objects.select_related("case__project").filter(pk=pk).first()
    # Only this report's own row may name its case to whoever sent the form.
    return row if row is not None and bytes(row.raw) == envelope.raw else None


def _form_page(request, project, form, *, refusal="", status=200):
    return render(
        request,
        "secdesk/report_form.html",
        {
            "project": project,
            "form": form,
            "stamp": report_guard.stamp(project.slug),
            "refusal": refusal,
        },
        status=status,
    )


@public_view
@require_http_methods(["GET", "POST"])
def report(request, slug):
    project = get_object_or_404(Project, slug=slug)
    if request.method == "GET":
        return _form_page(request, project, ReportForm())
    form = ReportForm(request.POST, request.FILES)
    client = client_address(request)
    try:
        report_guard.check_rate(client)
    except report_guard.Guarded as refused:
        return _form_page(request, project, form, refusal=refused.message, status=429)
    try:
        report_guard.check_honeypot(request.POST.get("website", ""))
        report_guard.check_stamp(request.POST.get("stamp", ""), project.slug)
    except report_guard.Guarded as refused:
        report_guard.count_post(client)
        return _form_page(request, project, form, refusal=refused.message, status=400)
    if not form.is_valid():
        return _form_page(request, project, form, status=400)
    report_guard.count_post(client)
    row = submit(project, form.cleaned_data, client)
    case = row.case if row is not None and row.state == Inbound.HELD and row.opened_case else None
    acknowledged = case is not None and case.outgoing.filter(kind="acknowledgement").exists()
    return render(
        request,
        "secdesk/report_sent.html",
        {
            "project": project,
            "case": case,
            "email": form.cleaned_data["email"],
            "acknowledged": acknowledged,
        },
    )
