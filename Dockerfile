# One image for the API, the worker and the migrations; the command picks which:
#   atrezzo api | atrezzo worker | atrezzo migrate
# Runtime packages only (pyproject's [project].dependencies; the dev stack's and the tests'
# packages are extras), installed before the code so a code change rebuilds one thin layer.
# Pin by digest too (python:3.11-slim-bookworm@sha256:...) where rebuilds must be byte-identical.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/atrezzo \
    PATH=/opt/atrezzo/bin:$PATH

RUN python -m venv /opt/atrezzo \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin atrezzo

WORKDIR /app

# Dependencies: rebuilt only when pyproject.toml changes.
COPY pyproject.toml deploy/runtime_requirements.py ./
RUN python runtime_requirements.py pyproject.toml > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt runtime_requirements.py

# The code, owned by root and read-only to the service user. Editable, because the
# migrations (migrations/*.sql) are found beside the store package, not inside it.
COPY . .
RUN pip install --no-deps --editable . \
 && python -m compileall -q /app

USER atrezzo
# 8000: the API (API_PORT); 9464: the Prometheus endpoint (METRICS_ADDRESS).
EXPOSE 8000 9464
CMD ["atrezzo", "api"]
