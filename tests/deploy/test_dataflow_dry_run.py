"""The pipeline translates into a Dataflow job with `--dry_run=True`: no credentials, no network, nothing
submitted. Needs the `apache-beam[gcp]` extra; skips without it."""
import os
import subprocess
import sys

import pytest

apiclient = pytest.importorskip("apache_beam.runners.dataflow.internal.apiclient",
                                reason="the Dataflow runner needs apache-beam[gcp]")

import apache_beam as beam  # noqa: E402
from apache_beam.portability.api import beam_runner_api_pb2  # noqa: E402
from apache_beam.runners.runner import PipelineState  # noqa: E402

from pipeline.config import load_config  # noqa: E402
from pipeline.job_graph import build_pipeline  # noqa: E402
from pipeline.run import RunPaths, pipeline_options  # noqa: E402
from tests.deploy.test_portable_runner import small_config  # noqa: E402

IMAGE = "us-docker.pkg.dev/tokenmill-test/tokenmill/sdk:0.1.0"
DATAFLOW_ARGS = ["--runner=DataflowRunner", "--project=tokenmill-test", "--region=us-central1",
                 "--temp_location=gs://tokenmill-test/tmp", "--dry_run=True"]
# Dataflow refuses a job whose graph is over 10 MB (configs and DoFns are pickled into it).
DATAFLOW_GRAPH_LIMIT = 10 * 1024 * 1024


def test_the_pipeline_translates_into_a_dataflow_job_on_our_container(tmp_path):
    cfg = load_config(small_config(tmp_path, "gs://tokenmill-test/out"))
    p = beam.Pipeline(options=pipeline_options(DATAFLOW_ARGS + [f"--sdk_container_image={IMAGE}"]))
    build_pipeline(p, cfg, RunPaths(cfg.output), "uint16")
    result = p.run()

    assert result.state == PipelineState.DONE and not result.job.proto.id  # built, never submitted
    proto = result.job.proto_pipeline
    names = {t.unique_name for t in proto.components.transforms.values()}
    for stage in ("Plan/PlanSplits[web]", "Scan/ReadAndSpill", "DedupDocs/DecideExact", "Curate/DedupAndFilter",
                  "Tokenize/EncodeSurvivors", "Route/RouteCopies", "Shard/PackAndWrite", "Account", "Commit/Commit"):
        assert stage in names, stage
    images = {beam_runner_api_pb2.DockerPayload.FromString(env.payload).container_image
              for env in proto.components.environments.values()}
    assert images == {IMAGE}
    assert proto.ByteSize() < DATAFLOW_GRAPH_LIMIT


@pytest.mark.slow
def test_tokenmill_run_dry_run_builds_the_job_and_leaves_the_output_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{}")  # a previous, complete run
    exe = os.path.join(os.path.dirname(sys.executable), "tokenmill")
    res = subprocess.run([exe, "run", small_config(tmp_path, str(out)), "--", *DATAFLOW_ARGS],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "dry run" in res.stdout.lower()
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
