from datetime import timedelta

import pytest

from secdesk.web.clock import countdown, span
from secdesk.web.tests.conftest import NOW


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=9, hours=4, minutes=30), "9 days 4 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=3, minutes=1), "3 hours 1 minute"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(seconds=30), "less than a minute"),
    ],
)
def test_span_reads_in_its_two_largest_units(delta, text):
    assert span(delta) == text


def test_countdown_says_how_long_is_left_or_how_long_ago_it_ended():
    assert countdown(NOW + timedelta(hours=2), NOW) == "2 hours left"
    assert countdown(NOW - timedelta(hours=2), NOW) == "ended 2 hours ago"
