"""The validators tests/deploy runs (installed by the `deploy-checks` extra, next to this Python)."""
import os
import shutil
import sys

import pytest

BIN = os.path.dirname(sys.executable)


def tool(name: str) -> str:
    """The path of a command-line validator, or skip the test when it is not installed."""
    path = shutil.which(name, path=BIN + os.pathsep + os.environ.get("PATH", ""))
    if path is None:
        pytest.skip(f"{name} is not installed (see the deploy-checks extra in pyproject.toml)")
    return path
