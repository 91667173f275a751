#!/usr/bin/env bash
# tokenmill on Dataflow. Run from the repository root with the venv's `tokenmill` on PATH (for run and
# dry-run) and gcloud + docker authenticated (for build and flex).
#
#   deploy/dataflow/launch.sh build                     SDK image + launcher image + Flex Template spec
#   deploy/dataflow/launch.sh run CONFIG [OUTPUT]       submit from here; waits and prints the report
#   deploy/dataflow/launch.sh dry-run CONFIG            build the Dataflow job only (no credentials needed)
#   deploy/dataflow/launch.sh flex CONFIG_GS [OUTPUT]   launch the Flex Template (the job commits itself)
#
# Settings (environment): PROJECT, REGION, BUCKET (a bucket name, no gs://) are required;
# TAG (0.1.0), AR_REPO (tokenmill), MACHINE_TYPE (n2-highmem-4), MAX_WORKERS (20), DISK_GB (50).
set -euo pipefail

: "${PROJECT:?set PROJECT (the GCP project id)}"
: "${REGION:?set REGION (e.g. us-central1)}"
: "${BUCKET:?set BUCKET (a bucket name for temp files, staging and the template spec)}"
TAG="${TAG:-0.1.0}"
AR_REPO="${AR_REPO:-tokenmill}"
MACHINE_TYPE="${MACHINE_TYPE:-n2-highmem-4}"
MAX_WORKERS="${MAX_WORKERS:-20}"
DISK_GB="${DISK_GB:-50}"

REGISTRY="${REGION}-docker.pkg.dev/${PROJECT}/${AR_REPO}"
SDK_IMAGE="${REGISTRY}/sdk:${TAG}"
LAUNCHER_IMAGE="${REGISTRY}/launcher:${TAG}"
TEMPLATE="gs://${BUCKET}/templates/tokenmill-${TAG}.json"
JOB_NAME="tokenmill-$(date -u +%Y%m%d-%H%M%S)"

dataflow_args() {
  printf '%s\n' \
    --runner=DataflowRunner \
    "--project=${PROJECT}" \
    "--region=${REGION}" \
    "--temp_location=gs://${BUCKET}/tmp" \
    "--staging_location=gs://${BUCKET}/staging" \
    "--job_name=${JOB_NAME}" \
    "--sdk_container_image=${SDK_IMAGE}" \
    --sdk_location=container \
    "--machine_type=${MACHINE_TYPE}" \
    "--max_num_workers=${MAX_WORKERS}" \
    --autoscaling_algorithm=THROUGHPUT_BASED \
    "--disk_size_gb=${DISK_GB}"
}

usage() {
  sed -n '2,11p' "$0" >&2
  exit 2
}

cmd="${1:-}"
case "${cmd}" in
  build)
    gcloud artifacts repositories describe "${AR_REPO}" --location="${REGION}" --project="${PROJECT}" >/dev/null 2>&1 \
      || gcloud artifacts repositories create "${AR_REPO}" --repository-format=docker --location="${REGION}" --project="${PROJECT}"
    docker build -f deploy/dataflow/Dockerfile -t "${SDK_IMAGE}" .
    docker push "${SDK_IMAGE}"
    docker build -f deploy/dataflow/launcher.Dockerfile --build-arg "SDK_IMAGE=${SDK_IMAGE}" -t "${LAUNCHER_IMAGE}" .
    docker push "${LAUNCHER_IMAGE}"
    gcloud dataflow flex-template build "${TEMPLATE}" \
      --image="${LAUNCHER_IMAGE}" --sdk-language=PYTHON \
      --metadata-file=deploy/dataflow/metadata.json --project="${PROJECT}"
    echo "template: ${TEMPLATE}"
    ;;
  run)
    [ $# -ge 2 ] || usage
    output=()
    [ $# -ge 3 ] && output=(--output "$3")
    mapfile -t beam < <(dataflow_args)
    tokenmill run "$2" "${output[@]}" -- "${beam[@]}"
    ;;
  dry-run)
    [ $# -ge 2 ] || usage
    mapfile -t beam < <(dataflow_args)
    tokenmill run "$2" -- "${beam[@]}" --dry_run=True
    ;;
  flex)
    [ $# -ge 2 ] || usage
    params="config=$2,sdk_container_image=${SDK_IMAGE}"
    [ $# -ge 3 ] && params="${params},output=$3"
    gcloud dataflow flex-template run "${JOB_NAME}" \
      --template-file-gcs-location="${TEMPLATE}" \
      --project="${PROJECT}" --region="${REGION}" \
      --temp-location="gs://${BUCKET}/tmp" --staging-location="gs://${BUCKET}/staging" \
      --worker-machine-type="${MACHINE_TYPE}" --max-workers="${MAX_WORKERS}" \
      --parameters="${params}"
    ;;
  *)
    usage
    ;;
esac
