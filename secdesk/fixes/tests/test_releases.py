import pytest

from secdesk.errors import BadInput
from secdesk.fixes.releases import ReleaseScheme, sorted_versions


def test_version_is_the_groups_joined_by_dots():
    assert ReleaseScheme(r"^v(\d+)\.(\d+)\.(\d+)$").version("v1.2.3") == "1.2.3"


def test_empty_groups_are_left_out():
    curl = ReleaseScheme(r"^curl-(\d+)_(\d+)(?:_(\d+))?$")
    assert curl.version("curl-7_88") == "7.88"
    assert curl.version("curl-7_88_1") == "7.88.1"


def test_a_tag_the_pattern_does_not_match_is_no_release():
    scheme = ReleaseScheme(r"^v(\d+)\.(\d+)\.(\d+)$")
    assert scheme.version("v1.2.3-rc1") is None
    assert scheme.release("nightly") is None


def test_versions_order_numerically():
    assert sorted_versions(["1.10.0", "1.9.2", "1.9.10", "2.0", "1.9.2"]) == [
        "1.9.2",
        "1.9.10",
        "1.10.0",
        "2.0",
    ]


def test_versions_with_words_order_without_failing():
    assert sorted_versions(["1.2.rc10", "1.2.rc9", "1.2.1"]) == ["1.2.1", "1.2.rc9", "1.2.rc10"]


def test_a_pattern_that_is_not_a_regular_expression_is_refused():
    with pytest.raises(BadInput, match="not a regular expression"):
        ReleaseScheme(r"^v(\d+")


def test_a_pattern_without_groups_is_refused():
    with pytest.raises(BadInput, match="has no group"):
        ReleaseScheme(r"^v[0-9.]+$")
