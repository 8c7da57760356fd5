"""The open project as the editor sees it: settings, undo history, file and autosave.

Why it is apart from the widgets: saving, autosaving and recovery decide whether the user loses
work, so they are plain code over ``core.model.project`` that tests can drive without a screen. The
timeline lives in ``History`` (every edit is a ``push``); the ``Project`` keeps the settings
and the path. An autosave goes beside the project (``autosave_path``); a clean save removes it,
and opening a project whose autosave is newer offers it back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from core.errors import LivecutError
from core.model import project as proj
from core.model.history import History
from core.model.project import Project
from core.model.timeline import Timeline

log = logging.getLogger(__name__)


class Document:
    """One open project with its history; ``path`` is None until the first save."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self.history: History[Timeline] = History(project.timeline)

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
        return self.history.present

    @property
    def project(self) -> Project:
        """The project as it would be saved now."""
        return replace(self._project, timeline=self.history.present)

    @property
    def path(self) -> Path | None:
        return self._project.path

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    @property
    def title(self) -> str:
        return self.path.name if self.path else f"{self._project.name} (unsaved)"

    @property
    def base_dir(self) -> Path:
        """Folder relative media paths are read from: the project's, or the working directory."""
        return self.path.parent if self.path else Path.cwd()

    # -- edits -----------------------------------------------------------------------------------
    def apply(self, label: str, edit: Callable[[Timeline], Timeline]) -> bool:
        """Run ``edit`` on the present timeline and record it; False when nothing changed."""
        before = self.history.present
        after = edit(before)
        self.history.push(after, label)
        return after != before

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
        """Take the rate and export size of the first clip of a new, empty project."""
        if self.timeline.clips or self.timeline.media:
            raise ValueError("only an empty project adopts a format")
        w, h = proj.fit_export_size(width, height)
        self._project = replace(self._project, width=w + w % 2, height=h + h % 2)
        self.history = History(Timeline(fps))  # nothing to undo yet: the project was empty

    # -- files -----------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        """Save (atomic) to ``path`` or the current path; removes the now stale autosave."""
        old = self.path
        project = self.project
        if path is not None and project.name in {"untitled", old.stem if old else "untitled"}:
            project = replace(project, name=Path(path).stem)  # "save as new.toml" names it "new"
        saved = proj.save(project, path)
        self._project = replace(self._project, name=project.name)
        self._project = replace(self._project, path=saved.path)
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
        """Take the autosave's timeline as an (undoable, unsaved) edit."""
        recovered = proj.load(autosave)
        self.history.push(recovered.timeline, "recover autosave")
