"""What every `tokenmill` command shares (run, inspect, verify, plan, train, train-quality): the exit
codes, the `positive_int` argument type, and logging set up for a run.

Exit codes: 0 done; USAGE_ERROR (2) bad config or usage, the message names the key, file or flag;
FAILED (1) the work itself failed.
"""
from __future__ import annotations

import argparse
import logging
import sys

USAGE_ERROR, FAILED = 2, 1


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1 (worker and process counts)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class DropBeamImportNoise(logging.Filter):
    """Beam warns on import that its optional GCP client libraries are absent, and each local worker process
    that it has no semi-persistent directory: irrelevant locally."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "apitools not found" not in message and "No semi_persistent_directory found" not in message


def setup_logging(verbose: bool) -> None:
    logging.getLogger().addFilter(DropBeamImportNoise())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # records from Beam's loggers reach the handlers, not root's filters
        handler.addFilter(DropBeamImportNoise())
    logging.getLogger("tokenmill").setLevel(logging.INFO)
    # Beam is chatty at INFO; its warnings and errors still show.
    for name in ("apache_beam", "root"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
