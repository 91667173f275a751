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
