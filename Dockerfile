FROM python:3.11-slim

WORKDIR /app

# The same package install as tests/test_packaging.py checks (without the test extra).
COPY pyproject.toml README.md LICENSE ./
COPY s3vectors_emulator/ s3vectors_emulator/
RUN pip install --no-cache-dir .

# An unprivileged user owning the data directory.  The server always keeps its state in /data:
# `-v s3vectors-data:/data` keeps it between runs; without a volume it goes with the container.
# No VOLUME here: that would create an anonymous volume on every `docker run`.
RUN groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid emulator --no-create-home --home-dir /data --shell /usr/sbin/nologin emulator \
    && mkdir -p /data \
    && chown emulator:emulator /data
ENV S3VECTORS_DATA_DIR=/data
# Seeds applied at start (docs/seeding.md): mount a directory of them at /init, e.g. -v "$PWD/init:/init:ro".
# The image's own /init is empty, so without a mount nothing is seeded.
RUN mkdir -p /init
ENV S3VECTORS_INIT=/init
USER 10001:10001

EXPOSE 8000

# slim has no curl: ask python's urllib, which fails on any non-2xx answer or refusal.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/_emulator/health', timeout=2)"]

CMD ["s3vectors-emulator", "--host", "0.0.0.0", "--port", "8000"]
