FROM python:3.11-slim

WORKDIR /app

# The same package install as `make` (without the test extra).
COPY pyproject.toml README.md ./
COPY s3vectors_emulator/ s3vectors_emulator/
RUN pip install --no-cache-dir .

EXPOSE 8000

# State is kept only when a data directory is set: `docker run -v s3vectors:/data -e S3VECTORS_DATA_DIR=/data ...`.
VOLUME ["/data"]

# slim has no curl: ask python's urllib, which fails on any non-2xx answer or refusal.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/_emulator/health', timeout=2)"]

CMD ["s3vectors-emulator", "--host", "0.0.0.0", "--port", "8000"]
