"""The public pages' in-memory rate limit (issue 19 §3): fixed windows on the clock, per client,
starting again with each window, and never a thread."""

import threading

from limits import parse

from coopchain.trace.local_limit import LocalWindows


def test_a_client_is_refused_past_the_limit_until_the_next_window():
    windows = LocalWindows()
    limit = parse("3 per minute")
    start = 1_800_000_000.0 - 1_800_000_000.0 % 60
    answers = [windows.hit(limit, "203.0.113.9", start + 5 + i) for i in range(4)]
    assert [allowed for allowed, _end in answers] == [True, True, True, False]
    assert {end for _allowed, end in answers} == {start + 60}
    # Another client has its own count; the next window forgets the old one.
    assert windows.hit(limit, "198.51.100.7", start + 10) == (True, start + 60)
    assert windows.hit(limit, "203.0.113.9", start + 61) == (True, start + 120)


def test_counting_starts_no_thread():
    windows = LocalWindows()
    limit = parse("1000 per minute")
    before = threading.active_count()
    for i in range(200):
        windows.hit(limit, f"client-{i % 7}")
    assert threading.active_count() == before
