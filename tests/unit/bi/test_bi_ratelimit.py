"""The sliding-window limiter, driven by a fake clock: sleeping advances time, nothing waits for real."""

import threading

import pytest

from chordme_bi.bi.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_never_more_than_max_requests_in_any_window():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(max_requests=120, window_seconds=60, clock=clock, sleep=clock.sleep,
                                   safety_seconds=0)
    sent = []
    for _ in range(300):
        limiter.wait_turn()
        sent.append(clock.now)
        clock.now += 0.01  # the request itself takes a little time
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t < start + 60]
        assert len(in_window) <= 120
    # the first 120 go at once, the 121st waits for the first to leave the window
    assert sent[119] < 2 and sent[120] == pytest.approx(60.0)
    assert limiter.waited_seconds > 0


def test_pause_until_holds_everyone_back():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    limiter.wait_turn()
    limiter.pause_until(clock.now + 7.5)  # a 429 with Retry-After: 7.5
    limiter.wait_turn()
    assert clock.now == pytest.approx(7.5)
    assert limiter.sent_in_window() == 1


def test_pending_slots_bound_concurrency():
    limiter = SlidingWindowLimiter(1000, 1.0, max_pending=2)
    limiter.acquire_slot()
    limiter.acquire_slot()
    got_third = threading.Event()

    def third():
        limiter.acquire_slot()
        got_third.set()

    worker = threading.Thread(target=third)
    worker.start()
    assert not got_third.wait(0.05)  # blocked while two are in flight
    limiter.release_slot()
    assert got_third.wait(5)
    worker.join()


def test_rejects_nonsense():
    with pytest.raises(ValueError, match="positive"):
        SlidingWindowLimiter(0, 60)
