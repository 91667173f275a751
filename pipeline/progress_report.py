"""The driver's progress line during a local run: it sums the progress files every worker writes
(pipeline.transforms.progress.PassProgress) into one line per pass: input bytes done of the total,
documents/s, tokens/s and an ETA. A bar redrawn in place where stderr is a terminal, a log line every
`log_every_s` seconds otherwise. Remote runners show the same numbers as Beam counters in their UI."""
from __future__ import annotations

import glob
import json
import logging
import os
import sys
import threading
import time

LOG = logging.getLogger("tokenmill")
BAR = 24


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def summarize(states: list[dict], elapsed: float) -> str:
    """One pass's line from its workers' states (same pass name)."""
    name = states[0]["pass"]
    done = sum(s["bytes"] for s in states)
    docs = sum(s["documents"] for s in states)
    tokens = sum(s["tokens"] for s in states)
    total = max(s["total_bytes"] for s in states)
    elapsed = max(elapsed, 1e-6)
    parts = []
    if total:
        share = min(1.0, done / total)
        filled = int(share * BAR)
        parts.append(f"{name:<12} {'#' * filled}{'.' * (BAR - filled)} {share:6.1%} of {human_bytes(total)}")
    else:
        parts.append(f"{name:<12}")
    parts.append(f"{docs / elapsed:,.0f} docs/s")
    if tokens:
        parts.append(f"{tokens / elapsed:,.0f} tokens/s")
    if total and 0 < done < total:
        parts.append(f"ETA {clock(elapsed * (total - done) / done)}")
    return "  ".join(parts)


class ProgressReport:
    """A background thread over `progress_dir` (local only); a context manager."""

    def __init__(self, progress_dir: str, every_s: float = 1.0, log_every_s: float = 15.0, stream=None):
        self.dir, self.every_s, self.log_every_s = progress_dir, every_s, log_every_s
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._stop = threading.Event()
        self._last_sums: dict[str, tuple] = {}
        self._current = None
        self._last_log: dict[str, float] = {}

    def _states(self) -> dict[str, list[dict]]:
        by_pass: dict[str, list[dict]] = {}
        for path in glob.glob(os.path.join(self.dir, "*.json")):
            try:
                with open(path) as f:
                    state = json.load(f)
            except (OSError, ValueError):
                continue  # being replaced right now
            by_pass.setdefault(state["pass"], []).append(state)
        return by_pass

    def tick(self) -> None:
        """Prints the passes whose workers reported something new since the last tick."""
        now = time.monotonic()
        for name, states in sorted(self._states().items(), key=lambda kv: min(s["started"] for s in kv[1])):
            sums = tuple(sum(s[k] for s in states) for k in ("bytes", "documents", "tokens"))
            if sums == self._last_sums.get(name):
                continue
            self._last_sums[name] = sums
            line = summarize(states, max(s["seconds"] for s in states))
            if self.tty:
                if self._current not in (None, name):
                    self.stream.write("\n")
                self._current = name
                self.stream.write("\r" + line[:160].ljust(120))
                self.stream.flush()
            elif now - self._last_log.get(name, 0.0) >= self.log_every_s or sums[0] >= states[0]["total_bytes"] > 0:
                self._last_log[name] = now
                LOG.info("%s", line)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.tick()

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, name="tokenmill-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self.tty and self._current is not None:
            self.stream.write("\n")
