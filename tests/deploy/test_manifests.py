"""deploy/: every YAML parses; the compose file passes `docker-compose config`; the Kubernetes manifests
pass the Kubernetes schemas (kubernetes-validate, strict) and the Flink operator's FlinkDeployment fields;
the configs are valid tokenmill configs; and the pieces of each topology point at each other."""
import glob
import os
import subprocess

import pytest
import yaml

from pipeline.config import build_config
from tests.conftest import REPO
from tests.deploy.tools import tool

DEPLOY = os.path.join(REPO, "deploy")
COMPOSE = os.path.join(DEPLOY, "flink", "docker-compose.yml")
K8S = os.path.join(DEPLOY, "flink", "k8s")



def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_docs():
    return [d for path in sorted(glob.glob(os.path.join(K8S, "**", "*.yaml"), recursive=True)) for d in load(path)]


def by_kind(kind):
    return [d for d in k8s_docs() if d["kind"] == kind]


def flag(args, name):
    """The value of `--name=value` in an argument list."""
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    assert len(values) == 1, f"--{name} given {len(values)} times in {args}"
    return values[0]


def test_every_yaml_file_in_deploy_parses():
    files = glob.glob(os.path.join(DEPLOY, "**", "*.y*ml"), recursive=True)
    assert len(files) >= 7
    for path in files:
        assert load(path), path


# -- docker compose -------------------------------------------------------------------------------------

def compose_config(text, cwd):
    return subprocess.run([tool("docker-compose"), "--project-directory", cwd, "-f", "-", "config", "-q"],
                          input=text, capture_output=True, text=True, timeout=60)


def test_compose_file_passes_docker_compose_config_and_a_broken_one_does_not():
    text = open(COMPOSE).read()
    ok = compose_config(text, os.path.dirname(COMPOSE))
    assert ok.returncode == 0, ok.stderr
    broken = compose_config(text.replace("network_mode:", "network_mod:"), os.path.dirname(COMPOSE))
    assert broken.returncode != 0 and "network_mod" in broken.stderr


def test_compose_topology_is_wired():
    services = load(COMPOSE)[0]["services"]
    assert services["worker-pool"]["network_mode"] == "service:taskmanager"
    assert services["worker-pool"]["command"] == ["--worker_pool"]  # Beam boot serves port 50000
    assert services["taskmanager"]["command"] == "taskmanager" and services["jobmanager"]["command"] == "jobmanager"

    job_server = services["job-server"]["command"]
    assert flag(job_server, "flink-master") == "jobmanager:8081"
    artifacts = flag(job_server, "artifacts-dir")
    for name in ("job-server", "taskmanager"):
        assert f"artifacts:{artifacts}" in services[name]["volumes"], name

    submit = services["tokenmill"]["command"]
    assert flag(submit, "job_endpoint") == "job-server:8099" and "8099:8099" in services["job-server"]["ports"]
    assert flag(submit, "artifact_endpoint") == "job-server:8098" and "8098:8098" in services["job-server"]["ports"]
    assert flag(submit, "environment_type") == "EXTERNAL" and flag(submit, "environment_config") == "localhost:50000"
    assert services["tokenmill"]["volumes"] == services["worker-pool"]["volumes"]  # same /data for driver and workers
    assert services["worker-pool"]["image"] == services["tokenmill"]["image"]


def test_compose_sample_config_is_valid_and_its_paths_exist_in_the_mounted_folders():
    services = load(COMPOSE)[0]["services"]
    mounts = {}
    for spec in services["worker-pool"]["volumes"]:
        src, dst = spec.split(":")[:2]
        if src.startswith("."):
            mounts[dst] = os.path.normpath(os.path.join(os.path.dirname(COMPOSE), src))
    config_path = services["tokenmill"]["command"][1]
    host_config = mounts[config_path]
    cfg = build_config(load(host_config)[0], check_files=False)

    def on_host(path):
        for dst, src in mounts.items():
            if path.startswith(dst + "/"):
                return src + path[len(dst):]
        raise AssertionError(f"{path} is in no mounted folder")

    assert os.path.isfile(on_host(cfg.tokenizer.path))
    for source in cfg.sources:
        for pattern in source.paths:
            assert glob.glob(on_host(pattern)), pattern
    assert cfg.output.startswith("/data/out/")  # the named output volume


# -- Kubernetes -----------------------------------------------------------------------------------------

# The fields of the Flink Kubernetes Operator's FlinkDeployment (v1beta1) that these manifests use, from
# the operator's CRD (helm/flink-kubernetes-operator/crds/flinkdeployments.flink.apache.org-v1.yml).
_RESOURCE = {"type": "object", "additionalProperties": False, "properties": {
    "cpu": {"type": "number"}, "memory": {"type": "string"}, "ephemeralStorage": {"type": "string"}}}
_COMPONENT = {"type": "object", "additionalProperties": False, "properties": {
    "replicas": {"type": "integer"}, "resource": _RESOURCE, "podTemplate": {"type": "object"}}}
FLINK_DEPLOYMENT = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "flink.apache.org/v1beta1"}, "kind": {"const": "FlinkDeployment"},
        "spec": {"type": "object", "additionalProperties": False, "required": ["image", "flinkVersion"], "properties": {
            "image": {"type": "string"}, "imagePullPolicy": {"type": "string"},
            "flinkVersion": {"enum": ["v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20"]},
            "mode": {"enum": ["native", "standalone"]}, "serviceAccount": {"type": "string"},
            "flinkConfiguration": {"type": "object", "additionalProperties": {"type": "string"}},
            "jobManager": _COMPONENT, "taskManager": _COMPONENT, "podTemplate": {"type": "object"},
            "job": {"type": "object"}, "logConfiguration": {"type": "object"}, "restartNonce": {"type": "integer"},
        }},
    },
}


def test_core_kubernetes_objects_pass_the_strict_kubernetes_schemas():
    kv = pytest.importorskip("kubernetes_validate")
    docs = [d for d in k8s_docs() if d["kind"] != "FlinkDeployment"]
    assert {d["kind"] for d in docs} >= {"PersistentVolumeClaim", "Deployment", "Service", "ConfigMap", "Job"}
    for doc in docs:
        kv.validate(doc, "1.30", strict=True)
    bad = dict(docs[0], spec=dict(docs[0]["spec"], replica=1))
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, "1.30", strict=True)


def test_flink_deployment_matches_the_operator_fields_and_its_pod_templates_are_pods():
    jsonschema = pytest.importorskip("jsonschema")
    kv = pytest.importorskip("kubernetes_validate")
    (fd,) = by_kind("FlinkDeployment")
    jsonschema.validate(fd, FLINK_DEPLOYMENT)
    template = fd["spec"]["taskManager"]["podTemplate"]
    kv.validate(template, "1.30", strict=True)
    names = [c["name"] for c in template["spec"]["containers"]]
    assert names[0] == "flink-main-container" and "beam-worker-pool" in names  # the operator merges by name


def test_kubernetes_topology_is_wired():
    (fd,) = by_kind("FlinkDeployment")
    pod = fd["spec"]["taskManager"]["podTemplate"]["spec"]
    main, sidecar = pod["containers"][0], next(c for c in pod["containers"] if c["name"] == "beam-worker-pool")
    job_server = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "beam-job-server")
    js_pod = job_server["spec"]["template"]["spec"]
    js_args = js_pod["containers"][0]["args"]
    (pvc,) = by_kind("PersistentVolumeClaim")
    (service,) = by_kind("Service")
    (run,) = by_kind("Job")
    driver = run["spec"]["template"]["spec"]["containers"][0]

    assert flag(js_args, "flink-master") == f"{fd['metadata']['name']}-rest:8081"  # the operator's REST service
    artifacts = flag(js_args, "artifacts-dir")
    assert "ReadWriteMany" in pvc["spec"]["accessModes"]
    for p, container in ((pod, main), (pod, sidecar), (js_pod, js_pod["containers"][0])):
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == artifacts]
        (volume,) = [v for v in p["volumes"] if v["name"] == mount["name"]]
        assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]

    assert service["spec"]["selector"].items() <= job_server["spec"]["template"]["metadata"]["labels"].items()
    host, port = flag(driver["args"], "job_endpoint").split(":")
    assert host == service["metadata"]["name"] and int(port) in {p["port"] for p in service["spec"]["ports"]}
    host, port = flag(driver["args"], "artifact_endpoint").split(":")
    assert host == service["metadata"]["name"] and int(port) in {p["port"] for p in service["spec"]["ports"]}
    assert flag(driver["args"], "environment_type") == "EXTERNAL"
    assert flag(driver["args"], "environment_config") == f"localhost:{sidecar['ports'][0]['containerPort']}" == "localhost:50000"
    assert sidecar["image"] == driver["image"] and sidecar["args"] == ["--worker_pool"]


def test_example_configs_are_valid_tokenmill_configs():
    (cm,) = by_kind("ConfigMap")
    raws = [yaml.safe_load(cm["data"]["config.yaml"]), load(os.path.join(DEPLOY, "dataflow", "config.example.yaml"))[0]]
    for raw in raws:
        cfg = build_config(raw, check_files=False)
        assert cfg.output.startswith("gs://") and all(p.startswith("gs://") for s in cfg.sources for p in s.paths)
