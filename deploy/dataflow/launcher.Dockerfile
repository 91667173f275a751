# Flex Template launcher: the tokenmill SDK image plus Google's Python template launcher. The launcher
# builds the job with exactly the code and models the workers run, and the image can serve as the workers'
# `sdk_container_image` as well (its entrypoint stays Beam's boot; Dataflow starts the launcher itself).
# Build from the repository root, after the SDK image (deploy/dataflow/launch.sh build does both):
#   docker build -f deploy/dataflow/launcher.Dockerfile --build-arg SDK_IMAGE=... -t .../launcher:0.1.0 .
ARG SDK_IMAGE=tokenmill-dataflow-sdk:0.1.0
# Google publishes this base under dated tags too (gcloud container images list-tags ...); pin one in production.
# hadolint ignore=DL3007
FROM gcr.io/dataflow-templates-base/python311-template-launcher-base:latest AS launcher
FROM ${SDK_IMAGE}

COPY --from=launcher /opt/google/dataflow/python_template_launcher /opt/google/dataflow/python_template_launcher
COPY deploy/dataflow/flex_main.py /template/flex_main.py
ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/flex_main.py
