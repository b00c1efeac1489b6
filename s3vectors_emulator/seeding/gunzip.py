"""``python -m s3vectors_emulator.seeding.gunzip FILE``: FILE's gzip content, decompressed, on stdout.

The seed's vectors reader runs this as a child process (s3vectors_emulator.seeding.vector_files): ISA-L holds the
GIL while it decompresses, so in a thread of the emulator it took turns with the parsing instead of running beside
it (100,000 × 1024: 3.5 s of decompression added to 4.8 s of parsing); in a process of its own it uses the other
core.  A damaged or cut stream ends with status 1 and one line on stderr.
"""

from __future__ import annotations

import signal
import sys

from isal import igzip

_BLOCK = 4 << 20


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the seed is the parent's to stop, and it ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    try:
        with igzip.open(argv[0], "rb") as stream:
            while block := stream.read(_BLOCK):
                out.write(block)
        out.flush()
    except BrokenPipeError:
        return 0  # the reader stopped early: it has already failed on what it read
    except (EOFError, OSError, igzip.BadGzipFile) as exc:
        print(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
