# The monitor as a container: non-root, config and secrets from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY geodata ./geodata
COPY config ./config
RUN pip install '.[postgres,alerts]' \
    && useradd --system --uid 10001 --home-dir /app monitor \
    && mkdir -p /app/var && chown monitor /app/var

USER monitor
ENV MONITOR_GEODATA_DIR=/app/geodata MONITOR_CONFIG=/app/config/monitor.yaml
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["monitor", "run", "--host", "0.0.0.0", "--port", "8000"]
