"""What the browser tests share: the seed data and how it is loaded, the browser's settings."""

from __future__ import annotations

import base64
import json
import os
import random
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3vectors_emulator.testing import client_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# CONSOLE_DOC_SCREENSHOTS=1 also writes the pictures of docs/console.md, 800 px wide, into docs/console/.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
DOC_WIDTH = 800
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 420, "height": 800}

BUCKET = "media-library"
INDEX = "films"
OTHER_ACCOUNT, OTHER_REGION, OTHER_BUCKET = "111122223333", "eu-west-1", "archive-eu"
TAGS = {"team": "search", "env": "dev"}
VECTORS = 300
DIMENSION = 8
GENRES = ["drama", "comedy", "action", "horror", "scifi"]
WORDS = "space ship love war city night river dream ghost robot family road music storm island king".split()


@dataclass
class Seeded:
    """An emulator with one bucket, one index of ``VECTORS`` vectors, and a bucket in a second region."""

    url: str
    client: Any
    vectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {"data", "metadata"}

    def api(self, path: str, body: Any = None) -> Any:
        """A console endpoint's JSON answer, as the page gets it."""
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"} if body is not None else {},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def policy_for(arn: str) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3vectors:*"}
    return {"Version": "2012-10-17", "Statement": [{**statement, "Resource": [arn, f"{arn}/*"]}]}


def make_vectors() -> dict[str, dict[str, Any]]:
    rng = random.Random(20251202)
    vectors = {}
    for i in range(VECTORS):
        centre = [0.0] * DIMENSION
        centre[i % len(GENRES)] = 3.0  # one cluster per genre, so the map shows them
        vectors[f"film-{i:03d}"] = {
            "data": [round(c + rng.gauss(0, 1), 4) for c in centre],
            "metadata": {
                "genre": GENRES[i % len(GENRES)],
                "year": 1970 + (i * 7) % 55,
                "body": " ".join(rng.choice(WORDS) for _ in range(8)),
            },
        }
    return vectors


def seed(url: str) -> Seeded:
    client = client_for(url, retries={"total_max_attempts": 1, "mode": "standard"})
    seeded = Seeded(url, client, make_vectors())
    client.create_vector_bucket(vectorBucketName=BUCKET)
    arn = client.get_vector_bucket(vectorBucketName=BUCKET)["vectorBucket"]["vectorBucketArn"]
    client.tag_resource(resourceArn=arn, tags=TAGS)
    client.put_vector_bucket_policy(vectorBucketName=BUCKET, policy=json.dumps(policy_for(arn)))
    client.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=DIMENSION,
        distanceMetric="cosine",
        metadataConfiguration={"textSearchConfigurations": [{"metadataKey": "body"}]},
    )
    items = [{"key": k, "data": {"float32": v["data"]}, "metadata": v["metadata"]} for k, v in seeded.vectors.items()]
    for start in range(0, len(items), 100):
        client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=items[start : start + 100])
    other = client_for(url, region=OTHER_REGION, access_key=OTHER_ACCOUNT)  # a 12-digit key is an account
    other.create_vector_bucket(vectorBucketName=OTHER_BUCKET)
    return seeded


def shot(page: Any, name: str, doc_height: int | None = None) -> None:
    """A screenshot besides the one each test leaves at its end; with ``doc_height``, also a picture of
    docs/console.md when CONSOLE_DOC_SCREENSHOTS is set: the page's top ``doc_height`` pixels, downscaled."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    if doc_height is None or not os.environ.get("CONSOLE_DOC_SCREENSHOTS"):
        return
    width = page.viewport_size["width"]
    page.evaluate("window.scrollTo(0, 0)")
    doc_height = min(doc_height, page.evaluate("document.documentElement.scrollHeight"))
    full = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": doc_height})
    # No image library in the test extra: the browser itself scales the picture down.
    height = round(doc_height * DOC_WIDTH / width)
    context = page.context.browser.new_context(viewport={"width": DOC_WIDTH, "height": height})
    try:
        scaler = context.new_page()
        source = base64.b64encode(full).decode()
        image = f'<img style="display:block;width:{DOC_WIDTH}px" src="data:image/png;base64,{source}">'
        scaler.set_content(f'<body style="margin:0">{image}</body>')
        DOC_SCREENSHOTS.mkdir(exist_ok=True)
        scaler.screenshot(path=str(DOC_SCREENSHOTS / f"{name}.png"))
    finally:
        context.close()
