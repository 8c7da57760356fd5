"""The media bin: the project's media files with what probing found, and the add-file input.

Why it only displays and asks: probing a new file, adding it to the timeline and undoing that
are edits owned by the editor screen. The bin shows each ``MediaRef`` (size, rate, length,
codecs, or why it is offline), marks the media of the selected clip, and turns the path typed
into its input into an ``AddRequested`` message. It is not focusable itself, so arrow keys keep
moving the playhead; only its input takes focus, while it is open.
"""

from __future__ import annotations

from fractions import Fraction
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from core.model.timeline import MediaRef
from core.text import printable
from core.timebase import format_seconds
from tui.widgets.path_input import PathInput


def rate_text(fps: Fraction) -> str:
    """``30``, ``23.976``, ``29.97``."""
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


def media_lines(ref: MediaRef, fps: Fraction) -> tuple[str, str]:
    """Two short lines about ``ref``: name and length, then the probe facts (or the problem)."""
    if ref.info is None:
        return f"{printable(ref.name)}  OFFLINE", f"  {printable(ref.error or 'unavailable')}"
    info = ref.info
    length = format_seconds(ref.length(fps) or 0, fps)
    if info.video:
        w, h = info.video.display_size
        facts = f"{w}×{h} {rate_text(info.video.fps)}fps {info.video.codec}"
    else:
        facts = "audio only"
    if info.audio:
        facts += f" · {info.audio.codec}"
    return f"{printable(ref.name)}  {length}", f"  {printable(facts)}"


class MediaBin(Vertical):
    """Media list plus a path input that opens with ``open_input``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bin--name", "bin--facts", "bin--offline", "bin--current", "bin--hint"}

    class AddRequested(Message):
        """The user entered ``path`` (text as typed) to add."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, suggester: Suggester | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._suggester = suggester
        self._media: tuple[MediaRef, ...] = ()
        self._fps = Fraction(30)
        self._current: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="media-list")
        yield PathInput(
            placeholder="media file path (tab completes)",
            suggester=self._suggester,
            id="media-path",
            classes="hidden",
            disabled=True,
        )

    def on_mount(self) -> None:
        self.border_title = "media"
        self._render_list()

    def show(self, media: tuple[MediaRef, ...], fps: Fraction, current: str | None) -> None:
        if (media, fps, current) != (self._media, self._fps, self._current):
            only_current = (media, fps) == (self._media, self._fps)
            self._media, self._fps, self._current = media, fps, current
            # the clip under the playhead changes every few seconds while playing: the list's
            # size is fixed by the stylesheet, so no layout pass (which repaints the preview too)
            self._render_list(layout=not only_current)

    @property
    def media(self) -> tuple[MediaRef, ...]:
        """The media shown."""
        return self._media

    @property
    def current(self) -> str | None:
        """The media id highlighted as the current clip's."""
        return self._current

    @property
    def input_open(self) -> bool:
        return not self.query_one(PathInput).has_class("hidden")

    def open_input(self) -> None:
        path_input = self.query_one(PathInput)
        path_input.disabled = False
        path_input.remove_class("hidden")
        path_input.focus()

    def close_input(self) -> None:
        path_input = self.query_one(PathInput)
        path_input.value = ""
        path_input.add_class("hidden")
        path_input.disabled = True
        self.screen.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.close_input()
        if text:
            self.post_message(self.AddRequested(text))

    def on_path_input_cancelled(self, event: PathInput.Cancelled) -> None:
        event.stop()
        self.close_input()

    def _render_list(self, *, layout: bool = True) -> None:
        try:
            target = self.query_one("#media-list", Static)
        except NoMatches:  # not composed yet: on_mount draws it
            return
        title = f"media ({len(self._media)})" if self._media else "media"
        if title != self.border_title:  # setting a title repaints the whole bin, even the same one
            self.border_title = title
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self._media:
            text.append("no media yet\n", style("bin--facts"))
            text.append("press a to add a file", style("bin--hint"))
        for i, ref in enumerate(self._media):
            first, second = media_lines(ref, self._fps)
            name_style = style("bin--current") if ref.id == self._current else style("bin--name")
            text.append(first, name_style)
            text.append("\n")
            text.append(second, style("bin--offline") if not ref.online else style("bin--facts"))
            if i < len(self._media) - 1:
                text.append("\n")
        target.update(text, layout=layout)
