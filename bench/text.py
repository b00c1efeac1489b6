"""Full-text and hybrid search (behaviour.md#decision-text-search): query cost in process, as ratios to the vector-only
query on the
same index, and what one searchable key adds to a PutVectors through the Flask test client.

The texts are ~50 words of English drawn from a fixed vocabulary (function words first, then regular
inflections of common nouns, verbs and adjectives) with a Zipf-like distribution, seeded, so every run
indexes the same corpus.  Queries are three content words drawn from the same distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from bench.data import fill_index, gaussian, generator, key_of, queries
from bench.report import Column, Section, Target
from bench.stats import interleaved, median, now
from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.store.configuration import ENHANCED, IndexSettings, TextField
from s3vectors_emulator.store.index import Index

D = 128
K = 10
FIELD = "text"
LANGUAGE = "en"
WORDS_PER_TEXT = (40, 60)  # uniform, so documents differ in length (BM25's dl/avgdl)
ZIPF_SHIFT = 2.7  # Zipf-Mandelbrot: P(rank r) ~ 1 / (r + 2.7)
PUT_BATCH, PUT_DIM = 500, 1024
SEED_PUT = 20240612
PUT_TARGET = 2.0  # the issue: "text search adds at most 2x to the cost of a PutVectors with one searchable key"

# The most frequent English words, most frequent first (most are stop words of the en analyzer).
FUNCTION_WORDS = (
    "the of and to a in is it that for was on with as be at by this are or from have not but they which you one "
    "all we can their has more will an been its there were would what so if about who when also into them these"
).split()
NOUNS = (
    "time year people way day man thing woman life child world school state family student group country "
    "problem hand part place case week company system program question work government number night point "
    "home water room mother area money story fact month lot right study book eye job word business issue side "
    "kind head house service friend father power hour game line end member law car city community name "
    "president team minute idea kid body information back parent face others level office door health person "
    "art war history party result change morning reason research girl guy moment air teacher force education "
    "foot boy age policy music market sense nation plan college interest death experience effect class control "
    "care field development role effort rate heart drug show leader light voice wife police mind price report "
    "decision son view relationship town road arm difference value building action model season society tax "
    "director position player record paper space ground form event official matter center couple site project "
    "activity star table need court oil situation cost industry figure street image phone data picture practice "
    "piece land product doctor wall patient worker news test movie north love support technology step baby "
    "computer type attention film tree source organization hair window evidence population site river garden"
).split()
VERBS = (
    "ask call work seem need help talk turn start show play move live believe happen include continue "
    "learn change lead watch follow stop create speak allow add spend open walk offer remember consider appear "
    "wait serve die send expect stay fall reach kill remain suggest raise pass report decide pull develop "
    "return explain hope carry receive agree support hit produce cover catch draw pick wish climb listen "
    "travel visit answer finish paint cook clean jump laugh smile dance plant fill mark count train"
).split()
ADJECTIVES = (
    "new good high old great big small large long young important few public bad same able early little "
    "different local social late hard major better economic strong possible whole free military true federal "
    "international full special easy clear recent certain personal open red difficult available likely short "
    "single medical current wrong private past foreign fine common poor natural significant similar hot dead "
    "central happy serious ready simple left physical general environmental financial blue democratic dark "
    "various entire close legal religious cold final main green nice huge popular traditional cultural quiet"
).split()


def _ing(verb: str) -> str:
    return verb[:-1] + "ing" if verb.endswith("e") and not verb.endswith("ee") else verb + "ing"


def _ed(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


IRREGULAR_PLURALS = {
    "man": "men",
    "woman": "women",
    "child": "children",
    "person": "people",
    "foot": "feet",
    "life": "lives",
    "kid": "kids",
    "people": "peoples",
}


def _s(word: str) -> str:
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def vocabulary() -> tuple[list[str], int]:
    """The fixed vocabulary, in Zipf rank order, and how many function words lead it."""
    content = sorted(
        {form for noun in NOUNS for form in (noun, _s(noun))}
        | {form for verb in VERBS for form in (verb, _s(verb), _ed(verb), _ing(verb))}
        | set(ADJECTIVES)
    )
    rng = generator(7)
    ranked = [content[i] for i in rng.permutation(len(content))]
    functions = list(dict.fromkeys(FUNCTION_WORDS))
    return functions + [w for w in ranked if w not in functions], len(functions)


def _zipf(size: int) -> np.ndarray:
    weights = 1.0 / (np.arange(1, size + 1) + ZIPF_SHIFT)
    return weights / weights.sum()


def texts(rng: np.random.Generator, count: int, words: list[str]) -> list[str]:
    """``count`` sentences-ish texts of 40-60 words drawn with the Zipf-like distribution."""
    lengths = rng.integers(WORDS_PER_TEXT[0], WORDS_PER_TEXT[1] + 1, size=count)
    drawn = rng.choice(len(words), size=int(lengths.sum()), p=_zipf(len(words)))
    vocab = np.array(words, dtype=object)[drawn]
    out, at = [], 0
    for length in lengths.tolist():
        chunk = vocab[at : at + length]
        at += length
        out.append(" ".join(chunk).capitalize() + ".")
    return out


def query_texts(rng: np.random.Generator, count: int, words: list[str], n_function: int) -> list[str]:
    content = words[n_function:]
    picks = rng.choice(len(content), size=(count, 3), p=_zipf(len(content)))
    return [" ".join(content[i] for i in row) for row in picks.tolist()]


# -- queries in process ------------------------------------------------------------------------------


def _queries(section: Section, quick: bool) -> None:
    n = 20_000 if quick else 100_000
    budget, min_rounds = (1.5, 9) if quick else (5.0, 15)
    rng = generator()
    words, n_function = vocabulary()
    start = now()
    corpus = texts(rng, n, words)
    generated = now() - start
    index = Index(D, "cosine", settings=IndexSettings(ENHANCED, (TextField(FIELD, LANGUAGE),)))
    seconds = fill_index(index, n, rng, metadata=lambda i: {FIELD: corpus[i]})
    section.notes.append(
        f"{n:,} x {D} with one searchable '{LANGUAGE}' key: {len(words):,}-word vocabulary, texts generated in "
        f"{generated:.1f} s, check_records + put (with analysis) {seconds:.1f} s ({n / seconds:,.0f} vectors/s)"
    )
    vectors = queries(rng, 64, D)
    phrases = query_texts(rng, 64, words, n_function)
    inputs = list(zip(vectors, phrases, strict=True))
    contenders: dict[str, Any] = {
        "vector": lambda q: index.search(q[0], None, K),
        "text": lambda q: index.search(None, [(FIELD, q[1])], K),
        "hybrid": lambda q: index.search(q[0], [(FIELD, q[1])], K),
    }
    times = interleaved(contenders, inputs, warmup=2, budget=budget, min_rounds=min_rounds)
    base = median(times["vector"])
    matched = median([float(len(index.search(None, [(FIELD, p)], n))) for p in phrases[:8]])
    labels = {"vector": "vector only", "text": "text only (3 words)", "hybrid": "hybrid (vector + 1 text)"}
    for name, label in labels.items():
        ms = median(times[name]) * 1e3
        row: dict[str, Any] = {
            "what": f"{label}, {n:,} docs, k={K}",
            "value": ms,
            "unit": "ms",
            "ratio": ms / (base * 1e3),
            "runs": len(times[name]),
            "min_ms": min(times[name]) * 1e3,
            "ratio_paired": median([t / v for t, v in zip(times[name], times["vector"], strict=True)]),
        }
        section.rows.append(row)
    section.notes.append(f"a text query matches a median of {matched:,.0f} of the {n:,} documents")


# -- PutVectors through the Flask test client -----------------------------------------------------------


def _put_bodies(rng: np.random.Generator, batch: int, words: list[str], index: str) -> bytes:
    block = gaussian(rng, PUT_BATCH, PUT_DIM)
    corpus = texts(rng, PUT_BATCH, words)
    vectors = [
        {"key": key_of(batch * PUT_BATCH + j), "data": {"float32": block[j]}, "metadata": {FIELD: corpus[j]}}
        for j in range(PUT_BATCH)
    ]
    return orjson.dumps(
        {"vectorBucketName": "bench-text", "indexName": index, "vectors": vectors}, option=orjson.OPT_SERIALIZE_NUMPY
    )


def _post(client: Any, path: str, body: bytes) -> None:
    response = client.post(path, data=body, content_type="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.data[:300]!r}")


def _put_overhead(section: Section, quick: bool) -> None:
    batches = 10 if quick else 20
    client = create_app(Config()).test_client()
    _post(client, "/CreateVectorBucket", orjson.dumps({"vectorBucketName": "bench-text"}))
    for name, extra in (
        ("plain", {}),
        (
            "searchable",
            {"metadataConfiguration": {"textSearchConfigurations": [{"metadataKey": FIELD, "language": LANGUAGE}]}},
        ),
    ):
        _post(
            client,
            "/CreateIndex",
            orjson.dumps(
                {
                    "vectorBucketName": "bench-text",
                    "indexName": name,
                    "dataType": "float32",
                    "dimension": PUT_DIM,
                    "distanceMetric": "cosine",
                    **extra,
                }
            ),
        )
    rng = generator(SEED_PUT)
    words, _ = vocabulary()
    times: dict[str, list[float]] = {"plain": [], "searchable": []}
    for batch in range(batches + 1):  # the first round is a warm-up
        # The same vectors and texts go to both indexes; the order alternates so neither always goes first.
        body = _put_bodies(rng, batch, words, "plain")
        bodies = {"plain": body, "searchable": body.replace(b'"indexName":"plain"', b'"indexName":"searchable"', 1)}
        order = ("plain", "searchable") if batch % 2 else ("searchable", "plain")
        for name in order:
            start = now()
            _post(client, "/PutVectors", bodies[name])
            if batch:
                times[name].append(now() - start)
    plain, searchable = median(times["plain"]), median(times["searchable"])
    section.rows.append(
        {
            "what": f"PutVectors {PUT_BATCH} x {PUT_DIM}, no text configuration",
            "value": plain * 1e3,
            "unit": "ms",
            "runs": batches,
        }
    )
    row: dict[str, Any] = {
        "what": f"PutVectors {PUT_BATCH} x {PUT_DIM}, one searchable '{LANGUAGE}' key (~50 words)",
        "value": searchable * 1e3,
        "unit": "ms",
        "ratio": searchable / plain,
        "runs": batches,
        "ratio_paired": median([s / p for s, p in zip(times["searchable"], times["plain"], strict=True)]),
    }
    section.add_target(
        row, Target("PutVectors with one searchable key vs without", searchable / plain, "<=", PUT_TARGET)
    )
    section.rows.append(row)
    section.notes.append(
        f"PutVectors through the Flask test client, median of {batches} batches each, "
        "interleaved; the same bodies (pre-serialised) go to both indexes"
    )


def run(quick: bool) -> Section:
    section = Section(
        "text",
        f"Full-text and hybrid search (d={D}, cosine, k={K}) and the PutVectors cost of a searchable key",
        [
            Column("what", "figure"),
            Column("value", "median", "num"),
            Column("unit", "unit"),
            Column("ratio", "vs vector-only / plain", "{:.2f}x"),
            Column("target", "target"),
        ],
    )
    _queries(section, quick)
    _put_overhead(section, quick)
    return section
