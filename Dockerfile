# syntax=docker/dockerfile:1
# Two images from one build (compose.yaml builds both; CI pushes both):
#   --target web  nginx: the SPA build and deploy/nginx/ (the only published ports)
#   --target app  (the default) the app, served by uvicorn; also the background worker
# Both take the SPA from the same `spa` stage, so the shell the app serves names exactly the
# bundles nginx has.

# Stage 1: build the SPA (frontend/dist). The Clerk publishable key is read at build time.
FROM node:20-bookworm-slim AS spa
ARG VITE_CLERK_PUBLISHABLE_KEY=""
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN VITE_CLERK_PUBLISHABLE_KEY="$VITE_CLERK_PUBLISHABLE_KEY" npm run build

# Stage 2: the front. Debian's nginx: the same package the test suite runs this configuration
# with (apps/core/tests/test_front.py). Runs unprivileged; listens on 8080 (HTTP: redirect and
# health) and 8443 (HTTPS); the certificate is mounted at /etc/helpdesk/tls (docs/deploying.md).
FROM debian:bookworm-slim AS web
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base curl \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
COPY deploy/nginx/ /etc/helpdesk/nginx/
COPY --from=spa /src/frontend/dist/ /srv/helpdesk/spa/
ENV HELPDESK_APP=app:8000 \
    NGINX_HTTP_LISTEN=8080 \
    NGINX_HTTPS_LISTEN=8443 \
    NGINX_SPA_ROOT=/srv/helpdesk/spa \
    NGINX_TLS_CERT=/etc/helpdesk/tls/fullchain.pem \
    NGINX_TLS_KEY=/etc/helpdesk/tls/privkey.pem \
    NGINX_RUN_DIR=/tmp/nginx
USER www-data
EXPOSE 8080 8443
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD \
    curl -fsS -o /dev/null http://127.0.0.1:8080/nginx-health
CMD ["/etc/helpdesk/nginx/run"]

# Stage 3: the app, served by uvicorn as a non-root user.
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=0 \
    AUTH_DEV_LOGIN=0 \
    DATA_DIR=/data \
    FORWARDED_ALLOW_IPS=127.0.0.1
WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin helpdesk
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY manage.py ./
COPY project/ project/
COPY apps/ apps/
COPY templates/ templates/
COPY --from=spa /src/frontend/dist/ frontend/dist/
# Settings refuse DEBUG=0 without a strong key; collectstatic only needs one to load them.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" DATA_DIR=/tmp/build-data \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-data \
    && mkdir -p /data && chown helpdesk:helpdesk /data
USER helpdesk
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD \
    python -c "import urllib.request as u; u.urlopen(u.Request('http://localhost:8000/api/v1/health', headers={'X-Forwarded-Proto': 'https'}), timeout=4)"
# One container on its own: migrate, then serve. uvicorn reads FORWARDED_ALLOW_IPS (the proxy's
# address: only it may set X-Forwarded-For/-Proto) and WEB_CONCURRENCY (worker processes).
# compose.yaml runs migrations once in `migrate` and starts `app` and `worker` after it.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec uvicorn project.asgi:application --host 0.0.0.0 --port 8000 --proxy-headers"]
