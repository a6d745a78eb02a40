"""Every recorded LLM stream in the corpus: its JSON channels, fed delta by delta as recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from midstream import IncompleteJSONError, ParseError, Parser
from support.corpus import STREAMS, load_streams, stream_deltas, stream_payloads

STREAMS_INDEX = load_streams()
CHANNELS = [
    pytest.param(s["name"], ch, id=f"{s['name']}:{ch['channel']}")
    for s in STREAMS_INDEX
    for ch in s["json_channels"]
]


def test_corpus_has_all_streams() -> None:
    assert len(STREAMS_INDEX) == 76
    assert len(CHANNELS) == 111


@pytest.mark.parametrize(("name", "channel"), CHANNELS)
def test_channel(name: str, channel: dict[str, Any]) -> None:
    assembled = (STREAMS / channel["file"]).read_text("utf-8")
    found = [
        d
        for d in stream_deltas(stream_payloads(name)).values()
        if "".join(d) == assembled and len(d) == channel["deltas"]
    ]
    assert found, f"no channel of {name} assembles into {channel['file']}"
    deltas = found[0]

    p = Parser()
    snapshots = []
    try:
        for d in deltas:
            p.feed(d)
            snapshots.append(json.dumps(p.value))
        value = p.close()
    except IncompleteJSONError as e:
        assert not channel["valid_json"]
        assert e.partial == p.value  # what was received is kept
        return
    except ParseError:
        assert not channel["valid_json"]
        return
    assert channel["valid_json"]
    assert value == json.loads(assembled)
    # bytes, cut at random points (also inside UTF-8 sequences) give the same value
    raw = assembled.encode()
    q = Parser()
    for k in range(0, len(raw), 3):
        q.feed(raw[k : k + 3])
    assert q.close() == value
