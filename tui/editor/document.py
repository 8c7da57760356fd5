"""The open project as the editor sees it: settings, undo history, file and autosave.

Why it is apart from the widgets: saving, autosaving and recovery decide whether the user loses
work, so they are plain code over ``core.model.project`` that tests can drive without a screen. The
whole project (timeline and settings) lives in ``History``, so an edit of either is one ``push``
and one undo; only the file path is kept beside it (saving is not an edit). An autosave goes beside
the project (``autosave_path``); a clean save removes it, and opening a project whose autosave is
newer offers it back.

Changing the frame rate (``change_settings``) converts the timeline by time (``Timeline.at_rate``):
clips keep their source times and edit points their place in seconds, to the nearest frame.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from core.errors import LivecutError
from core.model import project as proj
from core.model.history import History
from core.model.project import Project
from core.model.timeline import Timeline
from core.timebase import project_rate

log = logging.getLogger(__name__)


def file_stem(name: str, fallback: str) -> str:
    """A file name made from a project name, for the paths the editor suggests (save as, export,
    export timeline): path separators become ``_``, so a name like ``a/b`` or ``../x`` never
    suggests a file in another folder; an empty name gives ``fallback``."""
    stem = name.replace("/", "_").replace("\\", "_").strip().strip(".")
    return stem or fallback


@dataclass(frozen=True)
class ProjectSettings:
    """What the project settings dialog edits."""

    name: str
    fps: Fraction
    width: int
    """Export size."""
    height: int
    preview_height: int

    @property
    def restarts_preview(self) -> tuple[Fraction, int, int, int]:
        """The settings the preview engine is built from: when they change, it starts again."""
        return self.fps, self.width, self.height, self.preview_height


class Document:
    """One open project with its history; ``path`` is None until the first save."""

    def __init__(self, project: Project) -> None:
        self._path = project.path
        self.history: History[Project] = History(replace(project, path=None))

    @classmethod
    def open(cls, path: str | Path) -> Document:
        """Load ``path`` (``ProjectError`` when it cannot be used)."""
        return cls(proj.load(path))

    @classmethod
    def new(cls, path: Path | None = None) -> Document:
        """An empty project, to be saved at ``path`` (None: save asks for a name)."""
        project = proj.new_project(path.stem if path else "untitled")
        return cls(replace(project, path=path.resolve() if path else None))

    # -- state -----------------------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline:
        return self.history.present.timeline

    @property
    def project(self) -> Project:
        """The project as it would be saved now."""
        return replace(self.history.present, path=self._path)

    @property
    def settings(self) -> ProjectSettings:
        p = self.history.present
        return ProjectSettings(p.name, p.fps, p.width, p.height, p.preview_height)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    @property
    def title(self) -> str:
        return self.path.name if self.path else f"{self.history.present.name} (unsaved)"

    @property
    def base_dir(self) -> Path:
        """Folder relative media paths are read from: the project's, or the working directory."""
        return self.path.parent if self.path else Path.cwd()

    # -- edits -----------------------------------------------------------------------------------
    def apply(self, label: str, edit: Callable[[Timeline], Timeline]) -> bool:
        """Run ``edit`` on the present timeline and record it; False when nothing changed."""
        before = self.history.present
        after = edit(before.timeline)
        self.history.push(replace(before, timeline=after), label)
        return after != before.timeline

    def change_settings(self, settings: ProjectSettings) -> str | None:
        """Take ``settings`` as one undoable edit; returns its label (None: nothing changed).

        A new frame rate converts the timeline by time (``Timeline.at_rate``). The values must be
        valid already (``tui.editor.project_form`` checks them with the model's limits)."""
        before = self.history.present
        changed = [
            what
            for what, old, new in (
                ("name", before.name, settings.name),
                ("frame rate", before.fps, settings.fps),
                ("size", (before.width, before.height), (settings.width, settings.height)),
                ("preview height", before.preview_height, settings.preview_height),
            )
            if old != new
        ]
        if not changed:
            return None
        after = replace(
            before,
            name=settings.name,
            width=settings.width,
            height=settings.height,
            preview_height=settings.preview_height,
            timeline=before.timeline.at_rate(settings.fps),
        )
        label = "project " + ", ".join(changed)
        self.history.push(after, label)
        return label

    def undo(self) -> str | None:
        """Undo the last edit; returns its label (None when there was nothing to undo)."""
        label = self.history.undo_label
        self.history.undo()
        return label

    def redo(self) -> str | None:
        label = self.history.redo_label
        self.history.redo()
        return label

    def adopt_format(self, fps: Fraction, width: int, height: int) -> None:
        """Take the rate (snapped to the common rate it is measured just off) and export size of
        the first clip of a new, empty project."""
        if self.timeline.clips or self.timeline.media:
            raise ValueError("only an empty project adopts a format")
        w, h = proj.fit_export_size(width, height)
        present = self.history.present
        rate = project_rate(fps)
        # nothing to undo yet: the project was empty
        self.history = History(replace(present, width=w + w % 2, height=h + h % 2, timeline=Timeline(rate)))

    # -- files -----------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        """Save (atomic) to ``path`` or the current path; removes the now stale autosave."""
        old = self.path
        project = self.project
        named = project.name
        if path is not None and named == "untitled":
            # "save as new.toml" names an untitled project "new"; a project with a name keeps it,
            # also one named after its first file (#26: save as renamed the demo)
            project = replace(project, name=Path(path).stem)
        saved = proj.save(project, path)
        if project.name != named:  # a fact about the project, not an edit to undo
            self.history.rewrite(lambda p: replace(p, name=saved.name) if p.name == named else p)
        self._path = saved.path
        self.history.mark_saved()
        assert saved.path is not None
        for stale in {saved.path, old}:
            if stale is not None:
                self.remove_autosave(stale)
        log.info("saved %s", saved.path)
        return saved.path

    def autosave(self) -> Path | None:
        """Write the autosave beside the project when dirty; None when there is nothing to do.

        When the project is clean again (undone back to the saved state) a left-over autosave is
        removed: it holds work the user took back, and must not be offered as "unsaved changes".
        """
        if self.path is None:
            return None
        if not self.dirty:
            self.remove_autosave()
            return None
        target = proj.autosave_path(self.path)
        proj.save(self.project, target)
        log.info("autosaved %s", target)
        return target

    def remove_autosave(self, path: Path | None = None) -> None:
        target = path or self.path
        if target is not None:
            with contextlib.suppress(OSError):
                proj.autosave_path(target).unlink()

    def newer_autosave(self) -> Path | None:
        """The autosave of this project if it is newer than the project file and differs from it.

        An autosave with the same content as the file (written, then the edit undone and saved)
        is removed instead of offered; one that cannot be read is offered, so the user decides.
        """
        if self.path is None:
            return None
        auto = proj.autosave_path(self.path)
        try:
            auto_time = auto.stat().st_mtime
        except OSError:
            return None
        try:
            own_time = self.path.stat().st_mtime
        except OSError:
            own_time = 0.0
        if auto_time <= own_time:
            return None
        try:
            same = proj.to_dict(proj.load(auto), self.path.parent) == proj.to_dict(self.project, self.path.parent)
        except LivecutError:
            return auto
        if same:
            self.remove_autosave()
            return None
        return auto

    def recover(self, autosave: Path) -> None:
        """Take the autosave's project (timeline and settings) as an (undoable, unsaved) edit."""
        recovered = proj.load(autosave)
        self.history.push(replace(recovered, path=None), "recover autosave")
