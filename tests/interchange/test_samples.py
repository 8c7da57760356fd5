"""Other people's files: the sample EDLs and FCP 7 XML files of the adapters' own test suites.

They ship only in the adapters' source distributions, so the test fetches those with pip (from
the package index, the only place it downloads from) once into pytest's cache, and compares what
livecut imports with what OTIO itself reads: the same clips in the same order, the same media
names, source ins and durations, and a note (with its place) for every other item of the track.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tarfile
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from core.interchange import InterchangeError, import_timeline
from tests.interchange.helpers import assert_one_line_error, livecut

PACKAGES = ("otio-cmx3600-adapter", "otio-fcp-adapter")
RATES = {"25fps.edl": "25"}
"""EDLs carry no rate; the adapter's own tests read these at the rate given here (else 24)."""


def _fetch(package: str, cache: Path) -> Path:
    """The sample files of ``package``'s sdist (the installed version), extracted once."""
    version = importlib.metadata.version(package)
    folder = cache / f"{package}-{version}"
    if (folder / ".complete").exists():
        return folder
    package_spec = f"{package}=={version}"
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                tmp,
                package_spec,
            ],
            capture_output=True,
            text=True,
            timeout=110,
        )
        archives = list(Path(tmp).glob("*.tar.gz"))
        if result.returncode != 0 or not archives:
            pytest.skip(f"cannot download the {package} sdist from the package index: {result.stderr.strip()[-200:]}")
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archives[0]) as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if member.isfile() and "sample_data" in parts and member.name.endswith((".edl", ".xml")):
                    data = tar.extractfile(member)
                    assert data is not None
                    (folder / parts[-1]).write_bytes(data.read())
    (folder / ".complete").touch()
    return folder


@pytest.fixture(scope="module")
def samples(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    try:
        cache = Path(request.config.cache.mkdir("otio-adapter-samples"))  # type: ignore[union-attr]
    except AttributeError:  # pytest's cache plugin is off
        cache = tmp_path_factory.mktemp("otio-adapter-samples")
    files = [
        f for package in PACKAGES for f in sorted(_fetch(package, cache).iterdir()) if f.suffix in (".edl", ".xml")
    ]
    assert len(files) >= 20, files
    return files


def _name(ref: Any, clip: Any) -> str:
    url = getattr(ref, "target_url", None)
    if url:
        return url.replace("\\", "/").rsplit("/", 1)[-1]
    return str(clip.name).replace("\\", "/").rsplit("/", 1)[-1] or "untitled"  # a name, not a path


def _expected(timeline: Any, fps: Fraction) -> tuple[list[tuple[str, int, int]], list[int]]:
    """From OTIO's own reading: (media name, source in, length) of each clip livecut can keep,
    and the 1-based index of every other item of the first video track."""
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video and t.enabled]
    video += [t for t in timeline.tracks if t.enabled]  # no video track: the first track stands in
    if not video:
        return [], []
    keep, other = [], []
    for i, item in enumerate(video[0], start=1):
        ref = getattr(item, "media_reference", None)
        if isinstance(item, otio.schema.Clip) and isinstance(
            ref, (otio.schema.ExternalReference, otio.schema.MissingReference)
        ):
            rng = item.trimmed_range()
            start = rng.start_time - (
                ref.available_range.start_time
                if ref.available_range
                else otio.opentime.RationalTime(0, rng.start_time.rate)
            )
            frames = [
                round(Fraction(t.value) * fps / Fraction(t.rate).limit_denominator(1001)) for t in (start, rng.duration)
            ]
            keep.append((_name(ref, item), frames[0], frames[1]))
            if item.effects:
                other.append(i)
        elif isinstance(item, otio.schema.Gap) or (
            isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == "black" and not item.effects
        ):
            length = round(
                Fraction(item.duration().value) * fps / Fraction(item.duration().rate).limit_denominator(1001)
            )
            if length > 0:
                keep.append(("gap", 0, length))  # black and silent: a livecut gap
        else:
            other.append(i)
    return keep, other


def test_sample_files_import_like_otio_reads_them(samples: list[Path], tmp_path: Path) -> None:
    checked = 0
    for sample in samples:
        rate = RATES.get(sample.name)
        kwargs = {"rate": float(rate or 24)} if sample.suffix == ".edl" else {}
        try:
            reference = otio.adapters.read_from_file(str(sample), **kwargs)
        except Exception:
            # OTIO itself cannot read it: livecut says so in one line, it does not crash
            with pytest.raises(InterchangeError) as caught:
                import_timeline(sample, tmp_path / f"{sample.stem}.toml", fps=rate, save=False)
            assert "\n" not in str(caught.value) and sample.name in str(caught.value)
            continue
        result = import_timeline(sample, tmp_path / f"{sample.stem}.toml", fps=rate, save=False)
        project = result.project
        keep, other = _expected(reference, project.fps)
        got = [(project.timeline.media_by_id(c.media).resolved.name, c.in_, c.length) for c in project.timeline.clips]
        assert got == keep, sample.name
        assert project.timeline.duration == sum(n for _, _, n in keep)
        assert all(not m.online for m in project.timeline.media), "the samples' media are not on this machine"
        placed = [n.place for n in result.notes]
        for index in other:
            assert any(f" item {index} " in place for place in placed), (sample.name, index, placed)
        checked += 1
    assert checked >= 18


def test_sample_import_on_the_command_line(samples: list[Path], tmp_path: Path) -> None:
    [dissolve] = [s for s in samples if s.name == "dissolve_test.edl"]
    result = livecut("import", str(dissolve), "-o", str(tmp_path / "d.toml"))
    assert result.returncode == 0, result.stderr
    assert "transition SMPTE_Dissolve (10 frames) dropped" in result.stderr
    assert "item 2" in result.stderr and "00:00:00:09" in result.stderr
    assert "3 clips" in result.stdout and "2 offline media" in result.stdout
    info = livecut("info", str(tmp_path / "d.toml"))
    assert info.returncode == 0 and "OFFLINE" in info.stdout
    assert_one_line_error(
        livecut("import", str(dissolve), "-o", str(tmp_path / "s.toml"), "--strict"), "dissolve_test.edl", "--strict"
    )
    assert not (tmp_path / "s.toml").exists()
