"""What the editor says about background exports: the status line's part, the quit question."""

from __future__ import annotations

from pathlib import Path

from core.errors import LivecutError
from core.export.queue import ExportJob, JobCancelled, JobFailed
from core.export.render import ExportProgress, OutputExistsError
from tests.tui.conftest import three_clips
from tui.editor import exports

FOLDER = Path("/films")


def test_percent_runs_over_both_stages() -> None:
    assert exports.percent(None) == 0
    assert exports.percent(ExportProgress("encode", 0, 0, 0, 3)) == 0  # all cached: nothing to encode
    assert exports.percent(ExportProgress("encode", 450, 900, 4, 1)) == 45
    assert exports.percent(ExportProgress("encode", 900, 900, 4, 1)) == 90
    assert exports.percent(ExportProgress("join", 450, 900, 4, 1)) == 95
    assert exports.percent(ExportProgress("join", 450, 900, 0, 5)) == 50  # the join is all the work
    assert exports.percent(ExportProgress("join", 900, 900, 4, 1)) == 100


def test_status_part_and_quit_question() -> None:
    job = ExportJob(1, three_clips(), FOLDER / "film.mp4")
    elsewhere = ExportJob(2, three_clips(), Path("/tmp/other.mp4"))
    half = ExportProgress("encode", 450, 900, 4, 1)
    assert exports.job_text(None, None, 0, FOLDER) == ""
    assert exports.job_text(job, None, 0, FOLDER) == "export 0% → film.mp4"
    assert exports.job_text(job, half, 2, FOLDER) == "export 45% → film.mp4 · 2 queued"
    assert exports.job_text(elsewhere, half, 0, FOLDER) == "export 45% → /tmp/other.mp4"
    assert exports.running_text(job, half, 0, FOLDER) == "film.mp4 is 45 % exported"
    assert exports.running_text(job, half, 2, FOLDER) == "film.mp4 is 45 % exported and 2 more exports are queued"
    assert exports.running_text(None, None, 1, FOLDER) == "1 more export is queued"


def test_outcomes() -> None:
    job = ExportJob(1, three_clips(), FOLDER / "film.mp4")
    assert (
        exports.cancelled_text(JobCancelled(job, started=True), FOLDER) == "export cancelled: film.mp4 was not written"
    )
    assert exports.cancelled_text(JobCancelled(job, started=False), FOLDER) == "queued export of film.mp4 dropped"
    failed = JobFailed(job, LivecutError("/media/a.mp4: cannot decode frame 3"))
    assert exports.failed_text(failed, FOLDER) == "export of film.mp4 failed: /media/a.mp4: cannot decode frame 3"
    appeared = JobFailed(job, OutputExistsError("/films/film.mp4 already exists"))
    assert exports.failed_text(appeared, FOLDER) == (
        "export of film.mp4 failed: the file appeared meanwhile; export again to replace it"
    )
    assert (
        exports.failed_text(JobFailed(job, ValueError("boom")), FOLDER) == "export of film.mp4 failed: ValueError: boom"
    )
