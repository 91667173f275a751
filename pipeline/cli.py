"""The `tokenmill` command: run, inspect, verify, train, train-quality, plan.

Exit codes (pipeline.cli_common): 0 done; 2 bad config or usage (the message names the key, file or flag);
1 the run failed.
"""
from __future__ import annotations

import argparse
import logging
import sys

from pipeline.cli_common import FAILED, USAGE_ERROR, DropBeamImportNoise, positive_int, setup_logging


def _split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def cmd_run(args, beam_args: list[str]) -> int:
    from pipeline.config import load_config
    from pipeline.config_base import ConfigError

    overrides = list(args.set or [])
    if args.output:
        import os

        overrides.append(f"output={os.path.abspath(args.output) if '://' not in args.output else args.output}")
    try:
        cfg = load_config(args.config, overrides)
    except ConfigError as e:
        print(f"tokenmill: config error: {e}", file=sys.stderr)
        return USAGE_ERROR
    setup_logging(args.verbose)
    from pipeline.dataset.manifest import Manifest
    from pipeline.fileio import join, read_json
    from pipeline.run import RunFailed, run
    from pipeline.run_report import RunReport
    from pipeline.summary import run_summary

    try:
        report = run(cfg, beam_args, workers=args.workers or _default_workers(cfg))
    except ConfigError as e:
        print(f"tokenmill: config error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except RunFailed as e:
        print(f"tokenmill: run failed: {e}", file=sys.stderr)
        return FAILED
    if report.get("dry_run"):
        print(f"Dry run: the {report['runner']} job was built and translated ({report['transforms']} transforms); "
              f"nothing ran and {cfg.output} was left as it was.")
        return 0
    if report.get("submitted"):
        print(f"Job handed to {report['runner']} as a template: it commits {cfg.output} when it ends "
              f"(done when {join(cfg.output, 'manifest.json')} exists; then: tokenmill verify {cfg.output}).")
        return 0
    manifest = Manifest.from_json(read_json(join(cfg.output, "manifest.json")))
    committed = RunReport.from_json(report)
    print(run_summary(committed, manifest))
    print(f"\nDone in {committed.wall_seconds:.1f}s. Shards in {cfg.output} "
          f"({manifest.splits['train'].tokens:,} train tokens); check them with: tokenmill verify {cfg.output}")
    return 0


def _fs():
    from apache_beam.io.filesystems import FileSystems

    from pipeline.fileio import join, read_bytes

    return read_bytes, join, FileSystems.exists


def _list_names(folder: str) -> list[str]:
    """The names of the files directly in a folder (local, gs://, s3://); none when it does not exist."""
    from apache_beam.io.filesystems import FileSystems

    prefix = folder.rstrip("/") + "/"
    return sorted(m.path[len(prefix):] for r in FileSystems.match([prefix + "*"]) for m in r.metadata_list
                  if m.path.startswith(prefix) and "/" not in m.path[len(prefix):])


def cmd_verify(args) -> int:
    from pipeline.dataset.verify import verify_dataset

    read_bytes, join, exists = _fs()
    try:
        problems, checked = verify_dataset(args.dir, read_bytes, join, exists, _list_names)
    except ValueError as e:
        print(f"tokenmill: {e}", file=sys.stderr)
        return FAILED
    for p in problems:
        print(f"MISMATCH {p}")
    print(f"{checked} shard(s) checked: {'all good' if not problems else f'{len(problems)} problem(s)'}")
    return FAILED if problems else 0


def cmd_inspect(args) -> int:
    from pipeline.inspect_dataset import describe
    from pipeline.dataset.verify import load_manifest

    read_bytes, join, exists = _fs()
    try:
        manifest = load_manifest(read_bytes, args.dir, join)
        if args.html is not None:
            from pipeline.inspect_dataset import write_report_html

            target = args.html or join(args.dir, "report.html")
            print(f"{write_report_html(args.dir, target, read_bytes, join, exists, _list_names)} written")
            return 0
        text = describe(args.dir, manifest, read_bytes, join, exists, sample_rows=args.rows)
    except ValueError as e:  # no manifest, a malformed one, or a path leading outside the dataset
        print(f"tokenmill: {e}", file=sys.stderr)
        return USAGE_ERROR
    print(text)
    return 0


def _default_workers(cfg) -> int:
    """$TOKENMILL_WORKERS, else what measured faster (bench/RESULTS.md): one process per core when Python
    does most of the work (filters, near dedup, decontamination), one process when BPE does (Hugging Face
    `tokenizers` already encodes on every core inside one process, and more processes only add start-up)."""
    import os

    if os.environ.get("TOKENMILL_WORKERS"):
        return positive_int(os.environ["TOKENMILL_WORKERS"])
    python_bound = bool(cfg.dedup.near or cfg.decontaminate or any(cfg.filters_for(s) for s in cfg.sources))
    return (os.cpu_count() or 1) if python_bound else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenmill", description="Raw text to training-ready token shards.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build a dataset with a Beam pipeline (Beam options after --)")
    run.add_argument("config")
    run.add_argument("--output", help="output directory (overrides the config's output)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key by dotted path")
    run.add_argument("-v", "--verbose", action="store_true", help="show Beam's own progress logs")
    run.add_argument("--workers", type=positive_int, default=None,
                     help="local worker processes; 1 runs in-process (default: $TOKENMILL_WORKERS, else one per core "
                          "when filters, near dedup or decontamination are on, one otherwise)")
    insp = sub.add_parser("inspect", help="human summary of a built dataset")
    insp.add_argument("dir")
    insp.add_argument("--rows", type=int, default=2, help="decoded sample rows to show")
    insp.add_argument("--html", nargs="?", const="", default=None, metavar="FILE",
                      help="(re)write the dataset's report page from report.json (default: DIR/report.html)")
    ver = sub.add_parser("verify", help="re-read every shard and check it against the manifest")
    ver.add_argument("dir")
    sub.add_parser("train", help="streaming GPT pretraining on a built dataset", add_help=False)
    sub.add_parser("train-quality", help="train a fastText quality classifier", add_help=False)
    sub.add_parser("plan", help="what a training run or a data build will cost (plan train | plan build)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.getLogger().addFilter(DropBeamImportNoise())
    # `train`, `train-quality` and `plan` own their argument parsing.
    if argv and argv[0] == "plan":
        from pipeline.plan.cli import main as plan_main

        return plan_main(argv[1:])
    if argv and argv[0] == "train":
        from trainer.cli import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "train-quality":
        from filters.train_quality import main as train_quality_main

        return train_quality_main(argv[1:])
    own, beam_args = _split_beam_args(argv)
    args = build_parser().parse_args(own)
    if args.command == "run":
        return cmd_run(args, beam_args)
    if beam_args:
        print(f"tokenmill {args.command}: unexpected arguments after --: {' '.join(beam_args)}", file=sys.stderr)
        return USAGE_ERROR
    return {"verify": cmd_verify, "inspect": cmd_inspect}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
