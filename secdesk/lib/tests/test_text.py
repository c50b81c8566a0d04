from secdesk.lib.text import one_line, visible


def test_every_control_and_format_character_is_written_out():
    text = "a\x00b\x1b[31mc\x7fd\x9be\u202ef\u200bg\u2028h"
    assert visible(text) == "a\\x00b\\x1b[31mc\\x7fd\\x9be\\u202ef\\u200bg\\u2028h"
    assert visible("two\nlines\tand\r") == "two\\x0alines\\x09and\\x0d"
    assert visible("two\nlines\tand\r", lines=True) == "two\nlines\tand\\x0d"
    assert visible("Grüße, 東京 [b]x[/b]") == "Grüße, 東京 [b]x[/b]"


def test_one_line_takes_control_characters_out_and_cuts_the_rest_short():
    assert one_line("\x1b]8;;http://evil\x07click\r\n  me\u202e", 40) == "]8;;http://evil click me"
    assert one_line("a" * 50, 10) == "a" * 9 + "…"
