# syntax=docker/dockerfile:1
# odibi-provider image: the package with its extras, one project, and its Plan compiled at build time.
#
#   docker build --target code-location -t odibi/code-location .       # Dagster user code (gRPC server)
#   docker build --target airflow -t odibi/airflow .                   # Airflow workers, api-server, dag-processor
#   docker build --build-arg PROJECT=path/to/project --build-arg ODIBI_ENV=prod ...
#
# The Plan is cached in $ODIBI_PROVIDER_CACHE_DIR for the project at $ODIBI_PROJECT with $ODIBI_ENV, so no
# container recompiles it at start (helm/README.md). Secrets are never baked in: ${env:...} references in the
# project's connections are read from the container's environment (the chart maps them from a Secret).

ARG PYTHON_IMAGE=python:3.11-slim
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

# --- Dagster code location -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS code-location
ARG EXTRAS=pandas,dagster,cloud,sql
ARG PROJECT=examples/retail
ARG ODIBI_ENV=
ENV ODIBI_PROJECT=/opt/odibi/project \
    ODIBI_ENV=${ODIBI_ENV} \
    ODIBI_PROVIDER_CACHE_DIR=/opt/odibi/plan-cache \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /opt/odibi/src
COPY pyproject.toml README.md constraints.txt ./
COPY odibi_provider ./odibi_provider
RUN pip install --no-cache-dir -c constraints.txt ".[${EXTRAS}]"
COPY ${PROJECT} /opt/odibi/project
COPY docker/build_plan.py docker/code_location.py /opt/odibi/
RUN python /opt/odibi/build_plan.py /opt/odibi/project
RUN useradd --uid 10001 --home-dir /opt/odibi odibi \
    && chown -R odibi /opt/odibi/project
USER 10001
WORKDIR /opt/odibi
EXPOSE 4000
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "4000", "--module-name", "code_location", "--working-directory", "/opt/odibi"]

# --- Airflow (official image: workers, dag-processor and api-server share it) ---------------------------
FROM ${AIRFLOW_IMAGE} AS airflow
ARG EXTRAS=pandas,airflow,cloud,sql
ARG PROJECT=examples/retail
ARG ODIBI_ENV=
ENV ODIBI_PROJECT=/opt/odibi/project \
    ODIBI_ENV=${ODIBI_ENV} \
    ODIBI_PROVIDER_CACHE_DIR=/opt/odibi/plan-cache
USER root
COPY pyproject.toml README.md constraints.txt /opt/odibi/src/
COPY odibi_provider /opt/odibi/src/odibi_provider
COPY ${PROJECT} /opt/odibi/project
COPY docker/build_plan.py /opt/odibi/
COPY docker/dags /opt/odibi/dags
RUN chown -R airflow /opt/odibi
USER airflow
RUN pip install --no-cache-dir -c /opt/odibi/src/constraints.txt "/opt/odibi/src[${EXTRAS}]" \
    && python /opt/odibi/build_plan.py /opt/odibi/project
