"""Atomic writes keep ordinary permissions: new files follow the umask, replaced files keep their mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.atomic import current_umask, write_atomic
from core.model import project as proj


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_follow_the_umask(tmp_path: Path, umask_022: None) -> None:
    assert current_umask() == 0o022
    write_atomic(tmp_path / "new.bin", b"x")
    assert _mode(tmp_path / "new.bin") == 0o644
    os.umask(0o077)
    write_atomic(tmp_path / "private.bin", b"x")
    assert _mode(tmp_path / "private.bin") == 0o600


def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "shared.bin"
    target.write_bytes(b"old")
    target.chmod(0o664)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o664


def test_saving_a_project_keeps_a_0644_file_0644(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "p.toml"
    project = proj.save(proj.new_project("p"), path)
    assert _mode(path) == 0o644
    path.chmod(0o640)
    proj.save(project)
    assert _mode(path) == 0o640
