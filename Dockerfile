# syntax=docker/dockerfile:1
# The Intune helpdesk bot as one container: `python -m bot` on port 3978, as a non-root user.
#   docker build -t intune-helpdesk-bot .
#   docker run --rm -p 3978:3978 --env-file .env intune-helpdesk-bot
# Settings come from the environment (see .env.example); no .env is baked into the image (.dockerignore).
# compose.yaml runs two replicas on one Redis behind a reverse proxy; docs/deploy-to-teams.md covers Azure.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first, in their own layer (rebuilt only when pyproject.toml or constraints.txt change), at the
# exact versions of constraints.txt: scripts/lock writes it from a venv in which scripts/test passed.
COPY pyproject.toml constraints.txt ./
RUN python -m venv /opt/venv \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install --no-compile -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The application runs from its source tree (the catalogs in locales/ and the manifest/ folder sit beside the
# packages), owned by root and read-only for the bot's user; only var/ (the default SQLite store) is writable.
COPY bot ./bot
COPY dialogs ./dialogs
COPY presentation ./presentation
COPY knowledge ./knowledge
COPY intune ./intune
COPY storage ./storage
COPY locales ./locales
COPY manifest ./manifest
COPY README.md LICENSE ./
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bot \
 && mkdir -p /app/var \
 && chown bot:bot /app/var

USER 10001:10001
ENV HOST=0.0.0.0 \
    PORT=3978 \
    STORAGE_URL=sqlite:////app/var/helpdesk.sqlite3
EXPOSE 3978
VOLUME ["/app/var"]

# Liveness: /healthz answers while the process serves HTTP (readiness, /readyz, also checks the store and,
# with real credentials, that a Graph token can be had). The slim image has no curl: Python does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["python", "-m", "bot"]
