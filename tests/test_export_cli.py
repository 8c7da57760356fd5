"""``livecut export`` as a user runs it: real subprocesses, exit codes, stderr lines, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.test_cli import ROOT, _env, assert_one_line_error, livecut


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    a = make_source(tmp_path / "a.mp4", frames=45, width=160, height=120, fps=30)
    b = make_source(tmp_path / "b.mp4", frames=30, width=160, height=120, fps=30)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(a), str(b)]))
    return tmp_path / "p.toml"


def test_json_figures_then_refuse_then_force(project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    result = livecut("export", str(project_file), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"frames", "duration_s", "segments_encoded", "segments_reused", "seconds"} <= set(data)
    assert data["frames"] == 75 and data["duration_s"] == 2.5 and data["segments_reused"] == 0
    before = out.read_bytes()

    refused = livecut("export", str(project_file), "-o", str(out))
    assert refused.returncode == 2
    assert_one_line_error(refused, str(out), "already exists", "--force")
    assert out.read_bytes() == before

    again = livecut("export", str(project_file), "-o", str(out), "--force", "--json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["segments_encoded"] == 0 and data["segments_reused"] == data["segments"] == 2


def test_bad_options_are_one_line_usage_errors(project_file: Path, tmp_path: Path) -> None:
    result = livecut("export", str(project_file), "-o", str(tmp_path / "x.mp4"), "--crf", "99")
    assert result.returncode == 2
    assert_one_line_error(result, "--crf")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.timeout(60)
def test_ctrl_c_stops_quickly_and_leaves_nothing(tmp_path: Path) -> None:
    src = make_source(tmp_path / "long.mp4", frames=600, width=160, height=120, fps=30, audio=False)
    proj.save(replace(proj.new_from_media(tmp_path / "p.toml", [str(src)]), width=1280, height=960))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "export",
            str(tmp_path / "p.toml"),
            "-o",
            str(out_dir / "film.mp4"),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: the encode is under way
    assert first.startswith("encoding"), first
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    rest = proc.stderr.read()
    code = proc.wait(10)
    assert time.monotonic() - t0 < 1.5
    assert code == 130
    lines = [line for line in rest.splitlines() if not line.startswith(("encoding", "joining"))]
    assert len(lines) == 1 and "cancelled" in lines[0] and "Traceback" not in rest
    assert sorted(out_dir.iterdir()) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_the_export_follows_the_umask(project_file: Path, tmp_path: Path, umask: int, mode: int) -> None:
    """#26: exports were written 0600 whatever the umask (the staged file came from mkstemp)."""
    out = tmp_path / "film.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", str(project_file), "-o", str(out)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),  # only the child process
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_loudness_option_and_the_sound_in_the_summary(project_file: Path, tmp_path: Path) -> None:
    """#26: --loudness normalises; the summary and --json say how much the limiter turned down."""
    refused = livecut("export", str(project_file), "-o", str(tmp_path / "x.mp4"), "--loudness", "3")
    assert_one_line_error(refused, "--loudness")
    result = livecut("export", str(project_file), "-o", str(tmp_path / "n.mp4"), "--loudness", "-14", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["limited_db"] == 0.0 and abs(data["loudness_measured"] + data["loudness_gain_db"] + 14) < 0.02
    text = livecut("export", str(project_file), "-o", str(tmp_path / "t.mp4"))
    assert text.returncode == 0 and "sound not limited (ceiling -1 dBTP)" in text.stdout, text.stdout


def _frames(path: Path) -> list[int | None]:
    import av

    from tests.core.helpers import picture_index

    with av.open(str(path)) as c:
        return [picture_index(f.to_ndarray(format="rgb24"), (160, 120)) for f in c.decode(video=0)]


def test_split_writes_one_file_per_clip_named_by_order_and_source(tmp_path: Path) -> None:
    """#28: ``--split DIR``: one file per clip (gaps skipped), each the clip's frames, following the umask."""
    from core.model.timeline import Clip, Timeline, gap

    a = make_source(tmp_path / "a.mp4", frames=45, width=160, height=120, fps=30)
    b = make_source(tmp_path / "b.mp4", frames=30, width=160, height=120, fps=30)
    p = proj.new_from_media(tmp_path / "p.toml", [str(a), str(b)])
    ids = [m.id for m in p.timeline.media]
    clips = (Clip(ids[0], 5, 20), gap(4), Clip(ids[1], 3, 13))
    proj.save(replace(p, timeline=Timeline(p.timeline.fps, p.timeline.media, clips)))
    folder = tmp_path / "parts"
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", str(tmp_path / "p.toml"), "--split", str(folder), "--json"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    files = [folder / "01-a.mp4", folder / "02-b.mp4"]
    assert sorted(folder.iterdir()) == files  # nothing else: no temp file left behind
    assert [f["output"] for f in json.loads(result.stdout)["files"]] == [str(f) for f in files]
    assert _frames(files[0]) == list(range(5, 20))
    assert _frames(files[1]) == list(range(3, 13))
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644, 0o644]

    files[1].unlink()
    files[0].write_text("keep me")
    refused = livecut("export", str(tmp_path / "p.toml"), "--split", str(folder))
    assert refused.returncode == 2
    assert_one_line_error(refused, str(files[0]), "already exists", "--force")
    assert files[0].read_text() == "keep me" and not files[1].exists()  # refused before writing any
    forced = livecut("export", str(tmp_path / "p.toml"), "--split", str(folder), "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.count("wrote ") == 2 and _frames(files[0]) == list(range(5, 20))

    both = livecut("export", str(tmp_path / "p.toml"), "--split", str(folder), "-o", str(tmp_path / "x.mp4"))
    assert both.returncode == 2
    assert_one_line_error(both, "-o", "--split", "not both")
    not_a_folder = livecut("export", str(tmp_path / "p.toml"), "--split", str(a))
    assert not_a_folder.returncode == 2
    assert_one_line_error(not_a_folder, str(a), "is not a folder")
    neither = livecut("export", str(tmp_path / "p.toml"))
    assert neither.returncode == 2
    assert_one_line_error(neither, "-o", "--split")


def test_split_with_smart_copies_each_clips_whole_gops(tmp_path: Path) -> None:
    """#28: ``--split`` and ``--smart`` together: each file copies its clip's whole GOPs."""
    from tests.core.test_smart_export import TRIMS, _expected, _indices, _project, _source

    proj.save(_project(tmp_path, [_source(tmp_path, "a.mp4")], TRIMS))
    folder = tmp_path / "parts"
    result = livecut("export", str(tmp_path / "p.toml"), "--split", str(folder), "--smart", "--json")
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert [Path(f["output"]).name for f in files] == ["01-a.mp4", "02-a.mp4"]
    assert [f["smart"]["frames_copied"] for f in files] == [36, 36]
    for clip, f in zip(TRIMS, files, strict=True):
        assert _indices(Path(f["output"])) == _expected((clip,))
