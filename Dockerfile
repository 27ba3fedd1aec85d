# syntax=docker/dockerfile:1
# Stage 1: build the SPA (frontend/dist).
FROM node:20-bookworm-slim AS spa
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# Stage 2: the app, served by uvicorn as a non-root user.
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=0 \
    AUTH_DEV_LOGIN=0 \
    DATA_DIR=/data
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
CMD ["sh", "-c", "python manage.py migrate --noinput && exec uvicorn project.asgi:application --host 0.0.0.0 --port 8000 --proxy-headers --forwarded-allow-ips='*'"]
