"""The forms of the case page, as Django forms: each parses what its panel
posts into the types its action takes. What a value must be beyond its type
(a reason given, a CVE id's shape, a policy's limits) the action decides, so
web, API and CLI refuse it in the same words.
"""

import zoneinfo
from datetime import datetime

from django import forms

from secdesk.advisories.actions import ADVISORY_FIELDS
from secdesk.cases.actions.reports import REPORT_MOVES
from secdesk.errors import BadInput
from secdesk.web import cvss


def _text(**options):
    # As posted: the actions strip what they store, and refuse what is blank.
    return forms.CharField(required=False, strip=False, **options)


class CaseForm(forms.Form):
    def parsed(self) -> dict:
        """The cleaned data, or BadInput with the first error's words."""
        if not self.is_valid():
            # The first refusal in the order the fields were checked.
            raise BadInput(next(iter(self.errors.values()))[0])
        return self.cleaned_data


class StepForm(CaseForm):
    """A panel with several buttons: `step` names the one pressed."""

    STEPS: tuple[str, ...] = ()

    step = _text()

    def clean_step(self):
        step = self.cleaned_data["step"]
        if step not in self.STEPS:
            raise forms.ValidationError(f"unknown step {step!r}; known: {', '.join(self.STEPS)}")
        return step


class MoveForm(StepForm):
    """A move of the report's lifecycle, by the name the registry knows it by."""

    STEPS = tuple(REPORT_MOVES)

    reason = _text()


class ReplyForm(CaseForm):
    body = _text()
    internal = forms.BooleanField(required=False)


class TriageForm(CaseForm):
    security_issue = forms.ChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        error_messages={
            "required": "say whether this is a security issue",
            "invalid_choice": "say whether this is a security issue",
        },
    )
    reasoning = _text()
    cvss4 = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        # One select per CVSS 3.1 base metric, composed into the vector.
        try:
            data["cvss3"] = cvss.compose(self.data)
        except BadInput as refused:
            raise forms.ValidationError(refused.message) from None
        return data


class DaysField(forms.CharField):
    """A number of days, or None when left empty."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text.strip():
            return None
        try:
            return int(text)
        except ValueError:
            raise forms.ValidationError(f"{text!r} is not a number of days") from None


class EmbargoForm(StepForm):
    STEPS = ("propose", "accept", "reject", "agree", "object", "restart", "end")

    days = DaysField(required=False, strip=False)
    end = _text()
    zone = _text()
    justification = _text()
    reason = _text()

    def clean(self):
        data = super().clean()
        data["end"] = embargo_end(data) if data.get("end", "").strip() else None
        return data


def embargo_end(data) -> datetime:
    """The end from a datetime-local field and a zone: a time without its zone is
    refused, since it would mean a different instant to each member."""
    zone_name = data.get("zone", "")
    if zone_name not in zoneinfo.available_timezones():
        raise forms.ValidationError("the embargo end needs its time zone")
    try:
        local = datetime.fromisoformat(data.get("end", "").strip())
    except ValueError:
        raise forms.ValidationError("give the embargo end as a date and a time of day") from None
    if local.tzinfo is not None:
        raise forms.ValidationError("give the time of day and its zone separately")
    return local.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))


class FactsForm(StepForm):
    STEPS = ("set", "faulty")

    fact = _text()
    reason = _text()


class CveForm(StepForm):
    STEPS = ("assign", "next")

    cve_id = _text()


class FixesForm(StepForm):
    STEPS = ("record", "not-affected")

    branch = _text()
    commit = _text()
    repository = forms.CharField(required=False)
    reason = _text()


class RestrictionForm(CaseForm):
    # Any addresses: the action says which are not on the team.
    members = forms.Field(required=False, widget=forms.SelectMultiple)


class AdvisoryForm(CaseForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ADVISORY_FIELDS:
            self.fields[name] = _text()

    def clean(self):
        data = super().clean()
        # A field the form did not post is left as it is.
        data["changes"] = {name: data[name] for name in ADVISORY_FIELDS if name in self.data}
        return data


class PublishForm(CaseForm):
    end_embargo = forms.BooleanField(required=False)
    override_reason = _text()


class AmendForm(CaseForm):
    reason = _text()
