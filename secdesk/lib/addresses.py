"""Mail addresses as people have them, including internationalised ones
(RFC 6531: jürgen@uni.example, or a domain in any script). Django's own check
takes only ASCII before the @, which turned such reporters away."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

# RFC 5322 atext, widened by RFC 6531 to every non-ASCII character but the
# C1 controls; a dot-atom, so no leading, trailing or doubled dot.
_ATEXT = "[-!#$%&'*+/=?^_`{|}~0-9A-Za-z\u00a0-\U0010ffff]"
_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")


def is_address(text: str) -> bool:
    """The domain is checked as Django checks it (IDNA, literals, localhost)."""
    local, at, domain = text.rpartition("@")
    django = EmailValidator()
    return (
        bool(at)
        # Or a quoted local part ("john..doe"@example.org), which Django takes.
        and (_LOCAL.fullmatch(local) is not None or django.user_regex.match(local) is not None)
        and len(local.encode()) <= 64
        and (domain.lower() in django.domain_allowlist or django.validate_domain_part(domain))
    )


def validate_address(text: str) -> None:
    """For forms and models: the same check, as a Django validator."""
    if not is_address(text):
        raise ValidationError("Enter a valid email address.", code="invalid")
