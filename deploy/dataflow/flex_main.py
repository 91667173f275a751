"""Flex Template entry point. The template launcher runs

    python flex_main.py --config=gs://.../config.yaml [--output=gs://...] [--set=KEY=VALUE;KEY=VALUE]
                        <the Dataflow options the launcher adds: --runner, --project, --region, ...>

and this runs `tokenmill run LOCAL_COPY_OF_CONFIG [--output ...] [--set ...] -- <those options>`.
tokenmill reads its YAML from a local file, so the config is copied out of the bucket first; paths inside
it must therefore be absolute (`gs://...`, or `/opt/tokenmill/models/...` inside the image).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

USAGE_ERROR = 2


def parse_flex_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our template parameters, and everything else (the launcher's Beam options) untouched."""
    parser = argparse.ArgumentParser(prog="flex_main.py", allow_abbrev=False)
    parser.add_argument("--config", required=True, help="tokenmill YAML config (gs:// or a path in the image)")
    parser.add_argument("--output", help="overrides the config's output")
    parser.add_argument("--set", default="", help="config overrides, KEY=VALUE separated by ';'")
    return parser.parse_known_args(argv)


def tokenmill_argv(flex: argparse.Namespace, local_config: str, beam_args: list[str]) -> list[str]:
    argv = ["run", local_config]
    if flex.output:
        argv += ["--output", flex.output]
    for item in (s.strip() for s in flex.set.split(";")):
        if item:
            argv += ["--set", item]
    return argv + ["--", *beam_args]


def main(argv: list[str] | None = None) -> int:
    flex, beam_args = parse_flex_args(sys.argv[1:] if argv is None else argv)
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    from pipeline.cli import main as tokenmill

    with tempfile.TemporaryDirectory() as tmp:
        local = os.path.join(tmp, "config.yaml")
        try:
            with FileSystems.open(flex.config, compression_type=CompressionTypes.UNCOMPRESSED) as src:
                data = src.read()
        except Exception as e:  # noqa: BLE001 - any filesystem's "cannot read" is the same user mistake
            print(f"flex_main: cannot read --config={flex.config}: {e}", file=sys.stderr)
            return USAGE_ERROR
        with open(local, "wb") as dst:
            dst.write(data)
        return tokenmill(tokenmill_argv(flex, local, beam_args))


if __name__ == "__main__":
    sys.exit(main())
