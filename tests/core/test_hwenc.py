"""Encoder detection: fast, cached, falls back to libx264, honours LIVECUT_ENCODER."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from core.cells import encoders as hwenc
from core.errors import EncodeError


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(hwenc.ENV_VAR, raising=False)
    hwenc.clear_cache()
    yield
    hwenc.clear_cache()


def test_detection_is_fast_and_lists_every_candidate() -> None:
    started = time.perf_counter()
    choice = hwenc.detect_encoders()
    assert time.perf_counter() - started < 1.0
    names = [c.name for c in choice.candidates]
    assert names == [*hwenc.HARDWARE, "libx264"]
    assert all(c.reason for c in choice.candidates)
    chosen = [c for c in choice.candidates if c.name == choice.name]
    assert chosen and chosen[0].available and not choice.forced
    if not any(c.available for c in choice.candidates if c.name in hwenc.HARDWARE):
        assert choice.name == "libx264" and "no hardware encoder works" in chosen[0].reason


def test_result_is_cached_and_shared_between_threads() -> None:
    results: list[hwenc.EncoderChoice] = []
    threads = [threading.Thread(target=lambda: results.append(hwenc.detect_encoders())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert hwenc.detect_encoders() is results[0]


def test_env_var_forces_an_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hwenc.ENV_VAR, "libx264")
    choice = hwenc.detect_encoders()
    assert choice.name == "libx264" and choice.forced
    assert [c.name for c in choice.candidates] == ["libx264"]


def test_argument_forces_an_encoder_over_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hwenc.ENV_VAR, "nope264")
    assert hwenc.detect_encoders("libx264").name == "libx264"


def test_forcing_an_unknown_encoder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hwenc.ENV_VAR, "nope264")
    with pytest.raises(EncodeError, match=r"'nope264' is not an H\.264 encoder"):
        hwenc.detect_encoders()
    with pytest.raises(EncodeError, match=r"not an H\.264 encoder"):
        hwenc.detect_encoders("mpeg4")


def test_forcing_an_encoder_that_cannot_open_is_a_clear_error() -> None:
    broken = next((c for c in hwenc.detect_encoders().candidates if c.reason.startswith("failed")), None)
    if broken is None:
        pytest.skip("every hardware encoder in this build works here")
    hwenc.clear_cache()
    with pytest.raises(EncodeError, match=rf"'{broken.name}' was requested but cannot encode here"):
        hwenc.detect_encoders(broken.name)


def test_probe_never_raises() -> None:
    assert not hwenc.probe_encoder("nope264").available
    assert hwenc.probe_encoder("libx264").available


def test_choice_is_json_friendly() -> None:
    data = json.loads(json.dumps(hwenc.detect_encoders().to_dict()))
    assert data["chosen"] and {"name", "available", "reason"} <= set(data["candidates"][0])


def test_settings_keep_x264_all_intra() -> None:
    settings = hwenc.encoder_settings("libx264", 26, "ultrafast")
    assert settings.pix_fmt == "yuv420p"
    assert "keyint=1" in settings.options["x264-params"] and "bframes=0" in settings.options["x264-params"]
    assert settings.options["crf"] == "26" and settings.options["preset"] == "ultrafast"
