"""The site address comes from one setting; an advisory that would name this
machine's own address is published only in the demo or when forced."""

import pytest

from secdesk.advisories.actions import do_publish_case
from secdesk.errors import PolicyRefused


def test_publishing_with_a_loopback_site_address_is_refused_unless_forced(
    settings, ready_case, alice
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with pytest.raises(PolicyRefused, match="SECDESK_SITE_URL"):
        do_publish_case(ready_case, acting=alice)
    ready_case.refresh_from_db()
    assert ready_case.published_at is None
    do_publish_case(ready_case, acting=alice, force_site=True)
    ready_case.refresh_from_db()
    assert ready_case.published_at is not None


def test_the_demo_publishes_on_the_local_address(settings, ready_case, alice):
    settings.SITE_URL = "http://localhost:8000"
    settings.DEMO = True
    do_publish_case(ready_case, acting=alice)
    ready_case.refresh_from_db()
    assert ready_case.advisory.published_at is not None
