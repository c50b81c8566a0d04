"""Mail texts are plain-text templates: what goes in comes out as it is, with no
HTML escaping (a title with <, > or & reads the same in the mail)."""

from secdesk.lib.mail_text import mail_text


def test_a_mail_text_is_not_escaped_for_html():
    text = mail_text("mail/escalation.txt", reference="LV-1 <b>&amp;</b>", hours=48, held=7)
    assert text == (
        "Report LV-1 <b>&amp;</b> has been held for moderation for more than 48 hours.\n"
        "A moderator should approve or reject it: secdesk moderation show 7\n"
    )


def test_a_missing_list_is_one_line_each_and_nothing_missing_is_said_so():
    assert mail_text("advisories/mail/missing.txt", missing=["no CVE id", "no fix"]) == (
        "Still missing:\n  - no CVE id\n  - no fix\n"
    )
    assert mail_text("advisories/mail/missing.txt", missing=[]) == (
        "Nothing is missing: the advisory will be published at the end.\n"
    )
