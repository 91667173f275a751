"""Progress on the terminal during long runs: each worker logs its running count every few seconds."""
from __future__ import annotations

import logging
import time

LOG = logging.getLogger("tokenmill")


class ProgressLog:
    """Counts things a DoFn handles and logs `what: N` at most every `every_s` seconds per worker."""

    def __init__(self, what: str, every_s: float = 5.0):
        self.what = what
        self.every_s = every_s
        self.count = 0
        self._last = time.monotonic()

    def add(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            LOG.info("%s: %s so far (this worker)", self.what, f"{self.count:,}")


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class PassProgress:
    """One pass's progress on this worker: input bytes done of the whole input, documents/s, tokens/s and
    an ETA (from this worker's rate, assuming the other workers go as fast), logged every `every_s`
    seconds. The same numbers are Beam counters `progress:<pass>_bytes|_documents|_tokens`, which the
    Dataflow and Flink UIs show summed over workers."""

    def __init__(self, name: str, total_bytes: int, workers: int = 1, every_s: float = 5.0):
        from apache_beam.metrics import Metrics

        self.name, self.total, self.workers, self.every_s = name, max(1, total_bytes), max(1, workers), every_s
        self.bytes = self.docs = self.tokens = 0
        self._start = self._last = time.monotonic()
        self._counters = {k: Metrics.counter("progress", f"{name}_{k}") for k in ("bytes", "documents", "tokens")}

    def add(self, nbytes: int = 0, docs: int = 0, tokens: int = 0) -> None:
        self.bytes += nbytes
        self.docs += docs
        self.tokens += tokens
        for key, n in (("bytes", nbytes), ("documents", docs), ("tokens", tokens)):
            if n:
                self._counters[key].inc(n)
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            LOG.info("%s", self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self._start, 1e-9)
        share = self.total / self.workers
        done = min(1.0, self.bytes / share)
        parts = [f"{self.name}: {done:5.1%} of {_human_bytes(share)} (this worker)", f"{self.docs / elapsed:,.0f} docs/s"]
        if self.tokens:
            parts.append(f"{self.tokens / elapsed:,.0f} tokens/s")
        if 0 < done < 1:
            parts.append(f"ETA {_clock(elapsed * (1 - done) / done)}")
        return ", ".join(parts)
