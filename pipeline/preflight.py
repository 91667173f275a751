"""Checks a run makes before it touches its output: Beam's options, the runner, the output directory
(see pipeline.output_safety). Each failure is a ConfigError naming the flag, key or path (exit 2)."""
from __future__ import annotations

import contextlib
import io

from pipeline.config_base import ConfigError


def check_beam_options(beam_args: list[str]) -> None:
    """Parses every option of every installed Beam runner, so a malformed value
    (`--direct_num_workers=abc`) is refused here, naming the flag, rather than ending the job later with
    argparse's usage text. Unknown flags are left to Beam, which ignores them with a warning."""
    from apache_beam.options.pipeline_options import PipelineOptions

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            PipelineOptions(beam_args).get_all_options()
    except SystemExit:
        errors = [line.split(": error: ", 1)[1] for line in captured.getvalue().splitlines() if ": error: " in line]
        raise ConfigError(f"Beam options: {errors[-1] if errors else captured.getvalue().strip()}") from None
