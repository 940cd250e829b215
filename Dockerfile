# syntax=docker/dockerfile:1.7
#
# One image for every Zenith service: `docker run <image> run <service>`.
#
#   docker build -t zenith:0.1.0 .                          # every service
#   docker build -t zenith-gpio:0.1.0 --build-arg SERVICES=gpio .   # gpio only
#
# SERVICES picks the service packages (and so the third-party libraries)
# installed: an image for gpio alone carries no video codecs or OpenCV.
# Versions come from uv.lock, never re-resolved. No secret is baked in:
# tokens and passwords arrive as environment variables at run time.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

# The same uv version that wrote uv.lock (tests/deploy checks they agree).
ARG UV_VERSION=0.13.8
ARG SERVICES="gpio capture products auth web sensors network"

RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# Third-party dependencies first, from the manifests alone, so this layer
# is rebuilt only when uv.lock or a pyproject.toml changes.
COPY pyproject.toml uv.lock ./
COPY libs/pyproject.toml libs/
COPY services/gpio/pyproject.toml services/gpio/
COPY services/capture/pyproject.toml services/capture/
COPY services/products/pyproject.toml services/products/
COPY services/auth/pyproject.toml services/auth/
COPY services/web/pyproject.toml services/web/
COPY services/sensors/pyproject.toml services/sensors/
COPY services/network/pyproject.toml services/network/
RUN --mount=type=cache,target=/root/.cache/uv \
    set -eu; packages=""; \
    for service in ${SERVICES}; do \
        [ -f "services/${service}/pyproject.toml" ] \
            || { echo "SERVICES: unknown service '${service}'" >&2; exit 1; }; \
        packages="${packages} --package zenith-${service}"; \
    done; \
    [ -n "${packages}" ] || { echo "SERVICES is empty" >&2; exit 1; }; \
    uv sync --locked --no-dev --no-install-workspace ${packages}

# Then Zenith itself, installed as ordinary (non-editable) packages so the
# final image needs the virtual environment only.
COPY libs/ libs/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    set -eu; packages=""; \
    for service in ${SERVICES}; do packages="${packages} --package zenith-${service}"; done; \
    uv sync --locked --no-dev --no-editable ${packages} \
    && /app/.venv/bin/zenith services \
    && if /app/.venv/bin/python -c 'import zenith_web' 2>/dev/null; then \
        /app/.venv/bin/python -m zenith_web.i18n compile; fi

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICES="gpio capture products auth web sensors network"
LABEL org.opencontainers.image.title="zenith" \
      org.opencontainers.image.description="Zenith all-sky camera platform: one image, every service" \
      io.zenith.services="${SERVICES}"

# A fixed, numeric, unprivileged user so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 zenith \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/zenith --create-home \
        --shell /usr/sbin/nologin zenith \
    && mkdir -p /var/lib/zenith/data /var/lib/zenith/blobs /var/lib/zenith/auth-keys \
    && chown -R 10001:10001 /var/lib/zenith && chmod 0700 /var/lib/zenith/auth-keys

COPY --from=builder /app/.venv /app/.venv
COPY LICENSE THIRD_PARTY_NOTICES.md /usr/share/doc/zenith/

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/zenith \
    ZENITH_DATA_DIR=/var/lib/zenith/data \
    ZENITH_BLOB_DIR=/var/lib/zenith/blobs \
    ZENITH_LOG_FORMAT=json

USER 10001:10001
WORKDIR /var/lib/zenith
# web (HTTP) and every service's Prometheus metrics (ZENITH_METRICS_PORT).
EXPOSE 8080 9100

ENTRYPOINT ["zenith"]
CMD ["run", "web"]
