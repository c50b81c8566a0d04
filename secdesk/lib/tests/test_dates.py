import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secdesk.errors import BadInput
from secdesk.lib.dates import countdown, offered_zones, parse_when


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-10T14:00Z",
        "2026-12-10 14:00 UTC",
        "2026-12-10T15:00+01:00",
        "2026-12-10T14:00:00+00:00",
    ],
)
def test_a_time_with_a_zone_is_read_as_utc(text):
    assert parse_when(text) == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-12-10", "no time of day"),
        ("2026-12-10T14:00", "no zone"),
        ("10/12/2026", "malformed"),
        ("2026-02-30T10:00Z", "malformed"),
        ("", "malformed"),
    ],
)
def test_an_ambiguous_or_malformed_time_is_refused(text, why):
    with pytest.raises(BadInput, match=why):
        parse_when(text)


@given(st.text(max_size=40))
def test_no_text_makes_the_parser_crash(text):
    with contextlib.suppress(BadInput):
        parse_when(text)


def test_countdown_reads_as_words():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert countdown(datetime(2026, 12, 10, 13, 0, tzinfo=UTC), now) == "9 days 4 hours left"
    assert countdown(datetime(2026, 12, 1, 10, 1, tzinfo=UTC), now) == "1 hour 1 minute left"
    assert countdown(datetime(2026, 11, 29, 9, 0, tzinfo=UTC), now) == "ended 2 days 0 hours ago"


def test_the_zones_offered_name_places_with_utc_first_and_no_legacy_names():
    zones = offered_zones()
    assert zones[0] == "UTC" and zones.count("UTC") == 1
    assert {"Europe/Berlin", "America/Argentina/Salta", "Asia/Kolkata"} <= set(zones)
    for legacy in ("Factory", "localtime", "posixrules", "Etc/GMT+5", "US/Eastern", "GB", "EST"):
        assert legacy not in zones
    assert all(zone == "UTC" or "/" in zone for zone in zones)
    assert len(zones) < 520
