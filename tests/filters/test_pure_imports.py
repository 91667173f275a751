"""filters/ is pure logic: importing its modules must pull in neither Beam nor torch."""
import os
import subprocess
import sys

FILTERS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "filters")
MODULES = sorted(f"filters.{f[:-3]}" for f in os.listdir(FILTERS_DIR) if f.endswith(".py") and f != "__init__.py")


def heavy_modules_after_importing(modules):
    code = f"import sys, {', '.join(modules)}; print(sorted(m for m in ('apache_beam', 'torch') if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_filters_and_report_import_neither_beam_nor_torch():
    assert {"filters.registry", "filters.chain", "filters.heuristics", "filters.pii"} <= set(MODULES)
    assert heavy_modules_after_importing(MODULES + ["pipeline.report_html"]) == "[]"

