"""read_ahead(): the extractor reads the next source page while the current one is loaded."""

import threading

import pytest

from chordme_bi.extract.extractor import read_ahead


def test_items_come_in_order_and_the_next_is_read_while_the_current_is_used():
    produced = []
    asked = threading.Event()

    def pages():
        for n in range(4):
            produced.append(n)
            if n == 2:
                asked.set()
            yield n

    seen = []
    for item in read_ahead(pages()):
        if item == 1:  # while the caller holds page 1, page 2 is read, and no further
            assert asked.wait(5)
            assert produced == [0, 1, 2]
        seen.append(item)
    assert seen == [0, 1, 2, 3]
    assert list(read_ahead(iter([]))) == []


def test_a_read_error_reaches_the_caller_after_the_pages_before_it():
    def pages():
        yield "first"
        raise RuntimeError("source went away")

    seen = []
    with pytest.raises(RuntimeError, match="source went away"):
        for item in read_ahead(pages()):
            seen.append(item)
    assert seen == ["first"]


def test_a_caller_that_stops_early_stops_the_reading():
    produced = []

    def pages():
        for n in range(100):
            produced.append(n)
            yield n

    with pytest.raises(ValueError):
        for item in read_ahead(pages()):
            if item == 3:
                raise ValueError("load failed")
    assert produced == [0, 1, 2, 3, 4]
