"""The import layers of docs/architecture.md, as the contracts in .importlinter state them.

import-linter reads the import statements of pipeline/, filters/, mixers/ and trainer/ (those inside
functions too). What it cannot see, a fresh interpreter checks: that importing every module of the
"pure" contract loads neither Beam nor torch, also through a third-party package, and that the imports
the contract lets through (its ignore_imports) stay inside functions.
"""
import configparser
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACTS = os.path.join(REPO, ".importlinter")
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True))"


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def test_every_import_contract_is_kept():
    result = subprocess.run([sys.executable, "-c", LINT, CONTRACTS], cwd=REPO, env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _contract_lines(contract: str, key: str) -> list[str]:
    config = configparser.ConfigParser()
    config.read(CONTRACTS)
    return [line.strip() for line in config[f"importlinter:contract:{contract}"][key].splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_importing_the_pure_modules_loads_neither_beam_nor_torch():
    modules = _contract_lines("pure", "source_modules")
    forbidden = _contract_lines("pure", "forbidden_modules")
    assert {"filters", "mixers", "pipeline.config", "trainer.config"} <= set(modules)
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden)!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"importing the pure modules loaded {result.stdout.strip()}"
