# syntax=docker/dockerfile:1.7
# monitor: news wire monitoring service.
#
#   docker build -t monitor .
#   docker run -d -v monitor-data:/data -v "$PWD/config:/config:ro" monitor
#
# Stage 1 builds the package and its dependencies into a virtualenv (pip's cache is a BuildKit
# cache mount, so rebuilds after a code change don't download again) and prebuilds the gazetteer
# cache. Stage 2 is a slim runtime with only that virtualenv, running as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    XDG_CACHE_HOME=/opt/monitor-cache
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --upgrade pip wheel \
 && pip install .
# Build the place index once here, so a container's first poll doesn't spend seconds on it.
RUN python -c "from monitor.geo import load_tagger; load_tagger()" \
 && chmod -R a+rX /opt/monitor-cache


FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="monitor" \
      org.opencontainers.image.description="Polls news wire feeds, matches rules and regions, emails alerts and digests"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    XDG_CACHE_HOME=/opt/monitor-cache \
    MONITOR_CONFIG=/config/monitor.toml \
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db

# An unprivileged user owning only /data. config/monitor.toml's relative outbox_dir
# ("../var/mail", resolved against /config) is /var/mail: point it into the volume too, so .eml
# files written without an SMTP server survive the container.
RUN groupadd --system --gid 10001 monitor \
 && useradd --system --uid 10001 --gid monitor --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin monitor \
 && install -d -o monitor -g monitor -m 0750 /data /data/mail \
 && rm -rf /var/mail \
 && ln -s /data/mail /var/mail

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/monitor-cache /opt/monitor-cache
# A default config; mount your own over /config (read-only is fine).
COPY config/monitor.toml /config/monitor.toml

USER monitor
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# `monitor health` exits 0 while the last successful poll cycle is recent (<= 3 intervals).
HEALTHCHECK --interval=1m --timeout=15s --start-period=3m --retries=3 CMD ["monitor", "health"]

STOPSIGNAL SIGTERM
CMD ["monitor", "run"]
