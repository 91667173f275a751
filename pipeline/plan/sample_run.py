"""The child process of `tokenmill plan build`: `python -m pipeline.plan.sample_run CONFIG.json WORKERS` runs the
real pipeline (pipeline.run.run) on a sample with a derived config, so the parent measures a fresh process
tree (memory, CPU) and a failure cannot take the planner down. Exit codes as `tokenmill run`."""
from __future__ import annotations

import json
import logging
import sys


def main(argv: list[str]) -> int:
    from pipeline.cli_common import FAILED, USAGE_ERROR, setup_logging
    from pipeline.config import build_config
    from pipeline.config_base import ConfigError
    from pipeline.run import RunFailed, run

    config_path, workers = argv[0], int(argv[1])
    with open(config_path, encoding="utf-8") as f:
        raw = json.load(f)
    setup_logging(verbose=False)
    logging.getLogger("tokenmill").setLevel(logging.WARNING)
    try:
        run(build_config(raw), [], workers=workers)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except RunFailed as e:
        print(f"run failed: {e}", file=sys.stderr)
        return FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
