"""Simulated time: AWS seconds that pass `1 / time_scale` times faster than real
ones, and a queue of events due at given AWS times.

Everything that takes time in AWS (booting, registering, starting a task) is an
event scheduled a delay (in AWS seconds) after now. The engine's tick thread
runs the due events under the simulator lock."""
import heapq
import itertools
import time


class Event:
    """A scheduled callback; cancel() makes it a no-op."""

    __slots__ = ("due", "fn", "args", "cancelled")

    def __init__(self, due, fn, args):
        self.due = due
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self):
        self.cancelled = True


class SimClock:
    def __init__(self, time_scale=1.0):
        if not time_scale or time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
        self.time_scale = float(time_scale)
        self._t0 = time.monotonic()
        self._offset = 0.0  # AWS seconds added by fast_forward()
        self._paused_at = None
        self._heap = []
        self._seq = itertools.count()
        # Called when the earliest due time comes closer (a new earliest event, a
        # jump ahead, a resume), from whichever thread did it: the engine's tick
        # thread sleeps until the earliest event and is woken by this.
        self.on_earlier = None

    def now(self):
        """AWS seconds since the simulator started (frozen while paused)."""
        t = self._paused_at if self._paused_at is not None else time.monotonic()
        return (t - self._t0) / self.time_scale + self._offset

    def pause(self):
        if self._paused_at is None:
            self._paused_at = time.monotonic()

    def resume(self):
        if self._paused_at is not None:
            self._t0 += time.monotonic() - self._paused_at
            self._paused_at = None
            self._earlier()

    @property
    def paused(self):
        return self._paused_at is not None

    def fast_forward(self, aws_seconds):
        """Jumps the clock ahead (used while settling a scenario's initial state)."""
        self._offset += max(0.0, aws_seconds)
        self._earlier()

    def _earlier(self):
        if self.on_earlier is not None:
            self.on_earlier()

    def real(self, aws_seconds):
        """Real seconds that `aws_seconds` take."""
        return aws_seconds * self.time_scale

    def schedule(self, delay, fn, *args):
        return self.schedule_at(self.now() + max(0.0, float(delay)), fn, *args)

    def schedule_at(self, due, fn, *args):
        """Runs fn(*args) at AWS time `due` (at once if that has passed): events
        due together stay together however long their scheduling took."""
        ev = Event(max(float(due), self.now()), fn, args)
        heapq.heappush(self._heap, (ev.due, next(self._seq), ev))
        if self._heap[0][2] is ev:
            self._earlier()
        return ev

    def next_due(self):
        """AWS time of the earliest pending event, or None."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now):
        """Removes and returns the next event due at or before `now`, or None."""
        while self._heap:
            due, _, ev = self._heap[0]
            if ev.cancelled:
                heapq.heappop(self._heap)
                continue
            if due > now:
                return None
            heapq.heappop(self._heap)
            return ev
        return None

    def pending(self):
        return sum(1 for _, _, ev in self._heap if not ev.cancelled)

    def clear(self):
        self._heap.clear()
