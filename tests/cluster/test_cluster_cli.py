"""``livecut export --cluster`` / ``LIVECUT_CLUSTER`` against a real ``LocalCluster``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.test_cli import ROOT, _env, assert_one_line_error

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
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
