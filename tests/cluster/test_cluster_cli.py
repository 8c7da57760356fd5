"""``livecut export --cluster`` / ``LIVECUT_CLUSTER`` against a real ``LocalCluster``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.test_cli import ROOT, _env, assert_one_line_error

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as c:
        yield c.scheduler_address


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    a = make_source(tmp_path / "a.mp4", frames=45, width=160, height=120, fps=30)
    b = make_source(tmp_path / "b.mp4", frames=30, width=160, height=120, fps=30)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(a), str(b)]))
    return tmp_path / "p.toml"


def run(*args: str, cluster: str | None = None) -> subprocess.CompletedProcess[str]:
    env = _env()
    env.pop("LIVECUT_CLUSTER", None)
    if cluster is not None:
        env["LIVECUT_CLUSTER"] = cluster
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.slow
def test_the_environment_names_the_cluster(address: str, project_file: Path, tmp_path: Path) -> None:
    result = run("export", str(project_file), "-o", str(tmp_path / "film.mp4"), "--json", cluster=address)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["segments_sent"] == data["segments_encoded"] == 2 and data["frames"] == 75


@pytest.mark.slow
def test_the_option_names_the_cluster_and_cached_segments_stay_home(
    address: str, project_file: Path, tmp_path: Path
) -> None:
    first = run("export", str(project_file), "-o", str(tmp_path / "one.mp4"), "--cluster", address, "--json")
    assert first.returncode == 0, first.stderr
    again = run("export", str(project_file), "-o", str(tmp_path / "two.mp4"), "--cluster", address, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["segments_sent"] == 0
    assert (tmp_path / "one.mp4").read_bytes() == (tmp_path / "two.mp4").read_bytes()


@pytest.mark.slow
def test_an_unreachable_cluster_is_a_one_line_error(project_file: Path, tmp_path: Path) -> None:
    result = run("export", str(project_file), "-o", str(tmp_path / "film.mp4"), "--cluster", "tcp://127.0.0.1:9")
    assert_one_line_error(result, "tcp://127.0.0.1:9")
    assert not (tmp_path / "film.mp4").exists()
    assert os.listdir(tmp_path) == [name for name in os.listdir(tmp_path) if not name.endswith(".part")]


def _livecut_tasks(dask_scheduler: object) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks if str(k).startswith("livecut-")]  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_ctrl_c_cancels_the_cluster_jobs(address: str, tmp_path: Path) -> None:
    src = make_source(tmp_path / "long.mp4", frames=600, width=160, height=120, fps=30, audio=False)
    proj.save(replace(proj.new_from_media(tmp_path / "p.toml", [str(src)]), width=1280, height=960))
    env = _env()
    env["LIVECUT_CLUSTER"] = address
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "tui.cli", "export", str(tmp_path / "p.toml"), "-o", str(out / "film.mp4")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first.startswith("encoding"), first
    with distributed.Client(address, set_as_default=False) as client:
        deadline = time.monotonic() + 30
        while not client.run_on_scheduler(_livecut_tasks) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.run_on_scheduler(_livecut_tasks), "no segment reached the cluster"
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(15) == 130, rest
        assert "cancelled" in rest and "Traceback" not in rest
        deadline = time.monotonic() + 15
        while client.run_on_scheduler(_livecut_tasks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(_livecut_tasks) == []
    assert sorted(out.iterdir()) == []


@pytest.mark.slow
def test_encode_on_the_cluster_fills_the_local_cache(address: str, project_file: Path, tmp_path: Path) -> None:
    """``livecut encode --cluster``: the cells are made on the workers and stored here; a local run
    afterwards reuses every one, and the preview built from them is frame-exact."""
    import av

    from core.synthetic.testpattern import read_index

    env = {**_env(), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("LIVECUT_CLUSTER", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
        )

    first = cli("encode", str(project_file), "--cluster", address, "--json")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["cells_encoded"] == made["cells_total"] > 0
    again = json.loads(cli("encode", str(project_file), "--json").stdout)
    assert again["cells_encoded"] == 0 and again["cells_reused"] == made["cells_total"]
    out = tmp_path / "preview.mp4"
    assert cli("preview", str(project_file), "-o", str(out)).returncode == 0
    with av.open(str(out)) as container:
        indices = [read_index(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    assert indices == [*range(45), *range(30)]
