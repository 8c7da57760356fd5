"""libmpv's log at the right severity: harmless lines are DEBUG, real errors stay ERROR."""

from __future__ import annotations

import logging

import pytest

from core.player.log import MpvLog


@pytest.mark.parametrize(
    ("prefix", "text", "level"),
    [
        ("ao/null", "illegal state: start() while paused\n", logging.DEBUG),
        ("stream", "Not seekable, but enabling seeking on user request.\n", logging.DEBUG),
        ("ao/null", "some other failure\n", logging.ERROR),
        ("vo/gpu", "illegal state: start() while paused\n", logging.ERROR),  # only ao/null's is known
    ],
)
def test_severity(prefix: str, text: str, level: int, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.mpvlog")
    caplog.set_level(logging.DEBUG, logger="test.mpvlog")
    MpvLog(logger, lambda _url: False)("error", prefix, text)
    assert [r.levelno for r in caplog.records] == [level]
