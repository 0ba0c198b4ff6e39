"""The simulated clock the fake feed servers (and the demo's status line) share.

Scenario time runs ``speed`` times faster than the wall clock from ``start``, and stops
at ``end`` (the servers then keep serving the final picture). The wall clock is injected
so tests can drive it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from monitor.timeutil import utc_from_epoch_s

#: wall-clock seconds the whole scenario should take at the default speed
DEFAULT_PLAY_S = 300.0


class SimClock:
    """Scenario time at ``start_s + speed * (wall - wall_at_start)``, clamped to ``end_s``.

    Parameters
    ----------
    start_s, end_s:
        The scenario's span, epoch seconds.
    speed:
        Scenario seconds per wall second; default: the whole span in ``DEFAULT_PLAY_S``.
    wall:
        A monotonic wall clock in seconds (``time.monotonic`` by default).
    """

    def __init__(
        self,
        start_s: float,
        end_s: float,
        *,
        speed: float | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if end_s <= start_s:
            raise ValueError("the simulated clock needs end_s after start_s")
        self.start_s = start_s
        self.end_s = end_s
        self.speed = speed if speed is not None else (end_s - start_s) / DEFAULT_PLAY_S
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, got {self.speed}")
        self._wall = wall
        self._wall0 = wall()

    def restart(self) -> None:
        """Start over from the scenario's beginning."""
        self._wall0 = self._wall()

    def now_s(self) -> float:
        return min(self.end_s, self.start_s + self.speed * (self._wall() - self._wall0))

    def now(self) -> datetime:
        return utc_from_epoch_s(self.now_s())

    @property
    def finished(self) -> bool:
        return self.now_s() >= self.end_s

    @property
    def progress(self) -> float:
        """Share of the scenario played, 0..1."""
        return (self.now_s() - self.start_s) / (self.end_s - self.start_s)

    def wall_seconds(self, scenario_s: float) -> float:
        """Wall seconds that ``scenario_s`` of scenario time take at this speed."""
        return scenario_s / self.speed
