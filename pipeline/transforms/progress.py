"""Progress on the terminal during long runs: each worker logs its running count every few seconds."""
from __future__ import annotations

import json
import logging
import os
import time

LOG = logging.getLogger("tokenmill")


class PassProgress:
    """One pass's progress on this worker: input bytes done, documents and tokens. Every `every_s` seconds it
    writes them to PROGRESS_DIR/<pass>-<pid>-<n>.json when that folder is local (the driver's
    pipeline.progress_report sums the files of every worker into one line per pass) and logs a line
    otherwise; the same numbers are the Beam counters progress:<pass>_bytes|_documents|_tokens, which the
    Dataflow and Flink UIs show summed over workers."""

    _instances = 0

    def __init__(self, name: str, total_bytes: int, progress_dir: str | None = None, every_s: float = 2.0):
        from apache_beam.metrics import Metrics

        PassProgress._instances += 1
        self.name, self.total, self.every_s = name, total_bytes, every_s
        self.bytes = self.docs = self.tokens = self.partial = 0
        self._start = self._last = time.monotonic()
        self._counters = {k: Metrics.counter("progress", f"{name.replace(' ', '_')}_{k}")
                          for k in ("bytes", "documents", "tokens")}
        self._file = None
        if progress_dir and "://" not in progress_dir:
            os.makedirs(progress_dir, exist_ok=True)
            self._file = os.path.join(progress_dir, f"{name.replace(' ', '_')}-{os.getpid()}-{PassProgress._instances}.json")

    def within_split(self, split_bytes: int):
        """A callback for pipeline.spill.read_records: the split's bytes done so far, by fraction read."""

        def on_progress(fraction: float) -> None:
            self.partial = int(split_bytes * fraction)

        return on_progress

    def add(self, nbytes: int = 0, docs: int = 0, tokens: int = 0) -> None:
        """Counts documents and tokens; `nbytes`: a split finished (its partial progress is replaced)."""
        if nbytes:
            self.partial = 0
        self.bytes += nbytes
        self.docs += docs
        self.tokens += tokens
        for key, n in (("bytes", nbytes), ("documents", docs), ("tokens", tokens)):
            if n:
                self._counters[key].inc(n)
        now = time.monotonic()
        if nbytes or now - self._last >= self.every_s:
            self._last = now
            self._publish(now)

    def _publish(self, now: float) -> None:
        state = {"pass": self.name, "bytes": self.bytes + self.partial, "documents": self.docs, "tokens": self.tokens,
                 "total_bytes": self.total, "seconds": now - self._start, "started": time.time() - (now - self._start)}
        if self._file is None:
            LOG.info("%s: %s bytes, %s documents, %s tokens so far (this worker)", self.name,
                     f"{self.bytes:,}", f"{self.docs:,}", f"{self.tokens:,}")
            return
        tmp = self._file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self._file)


class CpuClock:
    """CPU seconds of this process (every thread, the tokenizer's included) spent inside `with clock:`,
    added to the Beam counter cpu:<name>_ms; the driver puts them in report.json's "cpu_seconds"."""

    def __init__(self, name: str):
        from apache_beam.metrics import Metrics

        self.counter = Metrics.counter("cpu", f"{name}_ms")

    def __enter__(self):
        self._start = time.process_time()
        return self

    def __exit__(self, *exc):
        self.counter.inc(int((time.process_time() - self._start) * 1000))


class TimedDoFn:
    """Mixin for a beam.DoFn whose work is in `run` (same arguments as `process`): each call's CPU time goes
    to the counter cpu:<CPU_CLOCK>_ms. Outputs are gathered, then yielded, so time spent downstream is not
    counted (every timed step emits only small things)."""

    CPU_CLOCK = "other"

    def process(self, *args, **kwargs):
        if getattr(self, "_cpu_clock", None) is None:
            self._cpu_clock = CpuClock(self.CPU_CLOCK)
        with self._cpu_clock:
            out = list(self.run(*args, **kwargs))
        yield from out
