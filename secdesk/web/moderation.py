"""The moderation queue on the web: held mail with why it was held, approve /
reject / spam in one click, and the quarantine of mail secdesk could not read.

The forms are plain POSTs that redirect back; with htmx, the row is swapped for
its outcome in place. Only moderators of a project see its held mail: a row of
another project, or one that does not exist, is a 404 alike.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Min, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from secdesk.cases.models import Message
from secdesk.errors import NotAllowed, Refused
from secdesk.mail import moderation
from secdesk.mail.models import Attachment, Inbound, InboundMessage
from secdesk.mail.parsing import Unparseable, parse
from secdesk.teams.access import projects_of
from secdesk.teams.models import Role
from secdesk.web.decorators import member_view

# A quarantined message is shown up to this size; the rest is on the CLI
# (`secdesk quarantine show --raw`), where a 25 MB message is no burden.
RAW_SHOWN = 256 * 1024


@dataclass(frozen=True)
class HeldLine:
    row: InboundMessage
    body: str
    reasons: list


def _moderated(person, pk: int, states) -> InboundMessage:
    """A row the person moderates, or 404: one of another project, one into a
    case they may not see and one that does not exist alike. Decided rows count
    too, so that a second moderator's click hears "already approved", not "not
    found"."""
    row = moderation.moderated(person, states).filter(pk=pk).first()
    if row is None:
        raise Http404("no such held mail")
    return row


def _bodies(rows: list[InboundMessage]) -> dict[int, str]:
    """What the moderator reads of each row, by its id: a held report's text as
    its case holds it (the case's first message), a held post's the mail's own.
    In two queries for a page of rows."""
    reports = {row.case_id: row.pk for row in rows if row.opened_case and row.case_id}
    first = Message.objects.filter(case_id__in=reports).values("case_id").annotate(pk=Min("pk"))
    bodies = {
        reports[case_id]: body
        for case_id, body in Message.objects.filter(pk__in=first.values("pk")).values_list(
            "case_id", "body"
        )
    }
    posts = [row.pk for row in rows if row.pk not in bodies]
    for pk, raw in InboundMessage.objects.filter(pk__in=posts).values_list("pk", "raw"):
        try:
            bodies[pk] = parse(bytes(raw)).body
        except Unparseable:
            bodies[pk] = ""
    return bodies


def _with_attachments(queryset):
    return queryset.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.defer("data"))
    )


# Each held mail is shown with its text: a page of them is a morning's work.
HELD_PER_PAGE = 20
QUARANTINED_PER_PAGE = 50


@member_view
def queue(request):
    person = request.person
    held = Paginator(_with_attachments(moderation.queue(person)), HELD_PER_PAGE).get_page(
        request.GET.get("held")
    )
    quarantined = Paginator(
        _with_attachments(moderation.queue(person, Inbound.QUARANTINED)), QUARANTINED_PER_PAGE
    ).get_page(request.GET.get("quarantine"))
    reasons = moderation.shown_reasons_of(person, [*held, *quarantined])
    bodies = _bodies(list(held))
    return render(
        request,
        "secdesk/moderation.html",
        {
            "held_page": held,
            "held": [HeldLine(row, bodies.get(row.pk, ""), reasons[row.pk]) for row in held],
            "quarantined_page": quarantined,
            "quarantined": [(row, reasons[row.pk]) for row in quarantined],
            "moderates": projects_of(person, Role.MODERATOR).exists(),
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, strip=False)


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    form.is_valid()  # optional text: always valid; the action asks for a reason
    return form.cleaned_data["reason"]


def _decide(request, held_id, step, done: str, **kwargs):
    row = _moderated(request.person, held_id, [Inbound.HELD, Inbound.ACCEPTED, Inbound.REJECTED])
    try:
        row = step(row, acting=request.person, **kwargs)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    except Refused as refused:
        outcome, level = refused.message, messages.ERROR
    else:
        outcome, level = done, messages.SUCCESS
    if request.headers.get("HX-Request"):
        return render(
            request,
            "secdesk/moderation/outcome.html",
            {
                "row": row,
                "named": moderation.named(row),
                "outcome": outcome,
                "failed": level == messages.ERROR,
            },
        )
    messages.add_message(
        request, level, f"{moderation.named(row)} {row.subject or '(no subject)'}: {outcome}"
    )
    return redirect("moderation")


@member_view
@require_POST
def approve(request, held_id):
    return _decide(request, held_id, moderation.do_approve, "approved; the team has it.")


@member_view
@require_POST
def reject(request, held_id):
    return _decide(
        request,
        held_id,
        moderation.do_reject,
        "rejected; the sender is told the reason.",
        reason=_reason(request),
    )


@member_view
@require_POST
def spam(request, held_id):
    return _decide(request, held_id, moderation.do_discard_spam, "discarded as spam, no reply.")


@member_view
def quarantined(request, held_id):
    """A quarantined message as received. Django escapes it: raw mail may hold
    HTML or script meant for whoever opens it."""
    row = _moderated(request.person, held_id, [Inbound.QUARANTINED])
    raw = InboundMessage.objects.values_list("raw", flat=True).get(pk=row.pk)
    shown = bytes(raw[:RAW_SHOWN]).decode("utf-8", errors="replace")
    return render(
        request,
        "secdesk/quarantined.html",
        {
            "row": row,
            "raw": shown,
            "cut": row.size > RAW_SHOWN,
            "shown_bytes": RAW_SHOWN,
            "attachments": row.attachments.defer("data"),
            "reasons": moderation.shown_reasons(request.person, row),
        },
    )


@member_view
@require_POST
def release(request, held_id):
    row = _moderated(request.person, held_id, [Inbound.QUARANTINED])
    try:
        row = moderation.do_release(row, acting=request.person)
    except NotAllowed as refused:
        return render(request, "403.html", {"reason": refused.message}, status=403)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        if row.state == Inbound.QUARANTINED:
            messages.warning(
                request, f"Mail #{row.pk} was read again and is still quarantined: see its reasons."
            )
        else:
            messages.success(request, f"Mail #{row.pk} released; it is now {row.state}.")
    return redirect("moderation")
