"""A delimiter is found in the read where it completes, however the stream is split."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.model import ReadPolicy, Target
from sockscope.engine.connection import Connection, Recorder, _Reader


@given(
    delimiter=st.binary(min_size=1, max_size=6),
    stream=st.binary(max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_the_read_that_completes_the_delimiter_is_the_one_that_stops(
    delimiter: bytes, stream: bytes, cuts: list[int]
) -> None:
    connection = Connection(Target("127.0.0.1", 9), Recorder())
    reader = _Reader(connection, ReadPolicy(delimiter=delimiter), None, 0.0)
    bounds = sorted({0, len(stream), *(c for c in cuts if c <= len(stream))})
    found_at = None
    for start, end in pairwise(bounds):
        reader.buffer[: end - start] = stream[start:end]
        if reader._delimited(end - start):
            found_at = end
            break
    first = stream.find(delimiter)
    expected = None if first < 0 else next(b for b in bounds if b >= first + len(delimiter))
    assert found_at == expected
