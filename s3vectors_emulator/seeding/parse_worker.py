"""``python -m s3vectors_emulator.seeding.parse_worker FD DIMENSION``: parses byte ranges of the vectors file open
as descriptor FD, for the seed's reader (s3vectors_emulator.seeding.vector_files).

simdjson holds the GIL while it parses, so in threads the parsing of a large plain file could use one core only;
each of these processes takes its share of the chunks (every n-th of n).  The ranges come on stdin, ``START END``
per line, all read before the first is parsed (so the parent can write them all and then read the answers
without either side waiting on the other); the answers go to stdout as pickles, one ChunkResult per range, in
their order.
"""

from __future__ import annotations

import pickle
import signal
import sys

import simdjson

from s3vectors_emulator.seeding.vector_files import ChunkResult, chunk_lines, parse_lines
from s3vectors_emulator.transfer.dump import DumpError


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the whole process group: the seed is the parent's to stop, and it ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, dimension = int(argv[0]), int(argv[1])
    numbers = [int(n) for n in sys.stdin.buffer.read().split()]
    out = sys.stdout.buffer
    parser = simdjson.Parser()
    try:
        for start, end in zip(numbers[::2], numbers[1::2], strict=True):
            lines = chunk_lines(fd, start, end)
            try:
                result = ChunkResult(len(lines), list(parse_lines(parser, lines, 1, "", dimension)))
            except DumpError:  # the parent parses this chunk again, to say which line of the file it is
                result = ChunkResult(len(lines), None)
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
    except BrokenPipeError:
        return 0  # the parent stopped reading: it has failed on something else
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
