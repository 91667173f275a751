"""`tokenmill train TRAIN.yaml [--set KEY=VALUE ...]`: exit 0 when max_steps is reached, 2 for a bad
config or a dataset that does not fit it, 1 for a failure or an interruption (SIGTERM, Ctrl-C: a
checkpoint is saved first; the same command resumes)."""
from __future__ import annotations

import argparse
import sys
import traceback

from pipeline.cli_common import FAILED, USAGE_ERROR
from pipeline.config_base import ConfigError
from trainer.config import load_train_config
from trainer.errors import TrainingError
from pipeline.dataset.manifest import DatasetError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokenmill train", description="Pretrain a GPT on a tokenmill dataset. "
                                "Resumes from the latest checkpoint in out_dir.")
    p.add_argument("config", help="trainer config (YAML)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key by dotted path, e.g. --set model.n_layer=2 (repeatable)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # argparse already printed the usage error
        return 0 if e.code == 0 else USAGE_ERROR
    try:
        cfg = load_train_config(args.config, args.overrides)
        from trainer.train import train  # torch is imported only once the config is valid

        summary = train(cfg)
    except ConfigError as e:
        print(f"tokenmill train: {e}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("tokenmill train: interrupted", file=sys.stderr)
        return FAILED
    except (DatasetError, TrainingError) as e:  # a corrupt shard or checkpoint: the message names it
        print(f"tokenmill train: failed: {e}", file=sys.stderr)
        return FAILED
    except Exception as e:  # noqa: BLE001 - the CLI's promise is exit code 1 with a message
        traceback.print_exc()
        print(f"tokenmill train: failed: {type(e).__name__}: {e}", file=sys.stderr)
        return FAILED
    return FAILED if summary.get("interrupted") else 0


if __name__ == "__main__":
    sys.exit(main())
