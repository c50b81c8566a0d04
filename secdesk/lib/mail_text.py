"""The words of the mail secdesk writes: plain-text templates, one a mail, in
`<app>/templates/<app>/mail/`, rendered by the "text" template engine, which
does not escape for HTML (settings.TEMPLATES)."""

from django.template import engines


def mail_text(name: str, **context) -> str:
    return engines["text"].get_template(name).render(context)
