"""Entries of many files in one data-time order, in bounded memory.

* :func:`reorder` puts a file that is nearly in time order (CSV rows a few seconds apart,
  capture records of several feeds) right through a heap holding ``window_s`` of data
  time; a row later than that behind the rows already passed is counted
  (``out_of_order``) and skipped, never sorted in. A few rows far ahead of the rest are
  held in the heap until their time comes, without flushing the rows around them.
* :func:`merge` is a heap merge over the files' iterators (each in time order), that
  opens a file only when data time reaches the file's first fix (``start_s``), so a day of
  thousands of one-aircraft traces holds only the files of the aircraft flying at the
  moment, never the whole day.

Entries travel as ``(t_s, file_index, seq, line, item)``; ``(t_s, file_index, seq)`` is
unique, so the heaps never compare items.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from monitor.backfill.base import Entry, FileTally, Item

Merged = tuple[float, int, int, int, Item]

#: rows in a row far ahead of the others that make a jump in data time real (a gap in the
#: data) rather than a few misplaced rows (the NOAA files hold end-of-day rows among the
#: first minute's)
JUMP_CONFIRM_ROWS = 64


def reorder(entries: Iterator[Entry], window_s: float, tally: FileTally) -> Iterator[Entry]:
    """``entries`` in time order, given that none is more than ``window_s`` late."""
    heap: list[Entry] = []
    push, pop = heapq.heappush, heapq.heappop
    newest = float("-inf")
    passed = float("-inf")
    ahead = 0
    late_line = -1
    for e in entries:
        t = e[0]
        if t < passed:
            if e[2] != late_line:  # a row's position and static data are one row
                late_line = e[2]
                tally.skip("out_of_order", e[2], f"{passed - t:.0f} s behind rows already read")
            continue
        push(heap, e)
        if newest > float("-inf") and t > newest + window_s:
            # a row far ahead of the others: held (emitted in its place) without moving
            # the clock, unless the rows after it confirm the jump (a gap in the data)
            ahead += 1
            if ahead < JUMP_CONFIRM_ROWS:
                continue
        ahead = 0
        if t > newest:
            newest = t
            edge = newest - window_s
            while heap and heap[0][0] <= edge:
                out = pop(heap)
                passed = out[0]
                yield out
    while heap:
        yield pop(heap)


@dataclass
class Source:
    """One file's entries: ``open()`` starts reading it; ``start_s`` is a lower bound on
    its first entry's time (``None``: open at once)."""

    index: int
    open: Callable[[], Iterator[Entry]]
    start_s: float | None = None


def merge(sources: list[Source]) -> Iterator[Merged]:
    """Every source's entries, in ``(t_s, file index, seq)`` order (see the module
    docstring)."""
    pending = [(s.start_s, s.index, s) for s in sources if s.start_s is not None]
    heapq.heapify(pending)
    active: list[tuple[float, int, int, int, Item, Iterator[Entry]]] = []

    def start(src: Source) -> None:
        it = src.open()
        for t, seq, line, item in it:
            heapq.heappush(active, (t, src.index, seq, line, item, it))
            return

    for s in sources:
        if s.start_s is None:
            start(s)
    pop, replace = heapq.heappop, heapq.heapreplace
    while active or pending:
        while pending and (not active or pending[0][0] <= active[0][0]):
            start(pop(pending)[2])
        if not active:
            continue
        t, idx, seq, line, item, it = active[0]
        yield t, idx, seq, line, item
        nxt: Any = next(it, None)
        if nxt is None:
            pop(active)
        else:
            replace(active, (nxt[0], idx, nxt[1], nxt[2], nxt[3], it))
