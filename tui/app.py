"""The livecut Textual app: themes, key map, config, and the file-level flows around the editor.

Why the split with ``tui.screens.editor``: the editor screen owns what is on screen and the
engine; this app owns what outlives a project: the config file (theme, key remaps), the theme
registry, and the flows that can lose work if done wrong (save, save as, open, quit with
unsaved changes or with an export under way, autosave every 30 s while dirty, and offering a
newer autosave back on open).
Those flows are written as async workers awaiting modal answers, so each reads top to bottom.

``run_editor(args)`` is the entry point ``tui.cli`` calls for ``livecut [PROJECT]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.console import RenderableType
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from core.errors import LivecutError
from core.modes import PreviewChoice
from core.text import printable
from tui.bindings import bindings
from tui.bridge.bridge import Bridge
from tui.editor import exports
from tui.editor.document import Document, file_stem
from tui.editor.suggest import PROJECT_EXTENSIONS
from tui.screens.choice import Choice, ChoiceScreen
from tui.screens.editor import EditorScreen
from tui.screens.help import HelpScreen
from tui.screens.path_prompt import PathPrompt
from tui.screens.web_url import WebUrlScreen
from tui.settings import keys, themes
from tui.settings.config import Config, config_path, load_config, set_theme
from tui.terminal import Graphics
from tui.terminal.termguard import TerminalGuard
from tui.terminal.tmuxcolour import tmux_truecolour
from tui.theming import to_textual
from tui.widgets.path_input import PathSuggester

log = logging.getLogger(__name__)

HOLD_KEYS_S = 2.0
"""Longest time keys are held for a path prompt that is opening."""
TIMELINE_EXTENSIONS = frozenset({".otio", ".otioz", ".edl", ".xml"})
"""What Export/Import timeline… complete to."""

AUTOSAVE_SECONDS = 30.0
SAVE_CHOICES = [
    Choice("save", "Save", "s"),
    Choice("discard", "Discard", "ctrl+d", destructive=True),  # never a letter: typed-ahead text is not an answer
    Choice("cancel", "Cancel", "escape"),
]


class LivecutApp(App[int]):
    """The editor application around one ``Document`` at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "livecut"
    BINDINGS: ClassVar[list[BindingType]] = bindings("app")

    _theme_ready = False
    """True once the starting theme is set: later changes come from the user and are remembered."""

    def __init__(
        self,
        document: Document,
        *,
        theme: str | None = None,
        preview: PreviewChoice = "auto",
        workers: int | None = None,
        config: Config | None = None,
        config_problems: Iterable[str] = (),
        bridge: Bridge | None = None,
        autosave_seconds: float = AUTOSAVE_SECONDS,
        check_autosave: bool = True,
        guard: TerminalGuard | None = None,
        graphics: Graphics = "auto",
        web: bool = False,
        web_port: int | None = None,
    ) -> None:
        super().__init__()
        self.guard = guard
        """Keeps native code off the terminal (``run_editor``); checked every second."""
        self.config = config if config is not None else Config()
        self.problems = list(config_problems)
        found, theme_problems = themes.load_themes()
        self.problems += theme_problems
        for item in found:
            self.register_theme(to_textual(item))
        self.livecut_themes: tuple[str, ...] = tuple(item.name for item in found)
        """The bundled and user themes (the palette offers these, not Textual's built-ins)."""
        self._wanted_theme = theme or self.config.theme or themes.DEFAULT_THEME
        self.graphics: Graphics = graphics
        """``--graphics``: how the terminal preview draws."""
        self.web = web
        """``--web``: also serve the preview to a browser."""
        self.web_port = web_port
        self.web_url: str | None = None
        """The browser preview's URL once it serves."""
        self.editor = EditorScreen(document, preview=preview, workers=workers, bridge=bridge, graphics=graphics)
        self.autosave_seconds = autosave_seconds
        self.check_autosave = check_autosave
        self._asking = False
        self._held_keys: list[events.Key] | None = None
        """Keys typed while a path prompt opens (see ``_hold_keys``)."""
        self._parked_keys: list[events.Key] = []
        """Held keys put aside while a question comes first (see ``on_choice_screen_shown``)."""
        self._hold_timer: Timer | None = None
        self._palette_hold = False
        """Keys are held because a command was chosen in the palette (see ``on_event``)."""

    # -- setup -----------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        return self.editor

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults(self.current_theme.to_color_system().generate())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification of the editor (screens call this one too): the names and paths in
        it are shown with their control characters escaped, never written to the terminal raw.

        A note (``information``) is said on the status line, where it covers nothing; warnings
        and errors are toasts, drawn in the media bin's column above the timeline (``app.tcss``,
        ``ToastRack``), so neither hides the timeline or the segment bar (#26)."""
        if severity == "information" and self.editor.is_mounted:
            lines = [line for line in message.split("\n") if line.strip()]
            self.editor.note(" · ".join([title, *lines] if title else lines))
            return
        shown = "\n".join(printable(line) for line in message.split("\n"))
        super().notify(shown, title=printable(title), severity=severity, timeout=timeout, markup=markup)

    def on_mount(self) -> None:
        if self.check_autosave:  # first, so the answer comes before any keystroke reaches the editor
            self.offer_recovery()
        if self._wanted_theme in self.available_themes:
            self.theme = self._wanted_theme
            if self._wanted_theme != (self.config.theme or themes.DEFAULT_THEME):
                self._remember_theme(self._wanted_theme)  # --theme is remembered too
        else:
            self.theme = themes.DEFAULT_THEME if themes.DEFAULT_THEME in self.available_themes else "textual-dark"
            self.problems.append(f"unknown theme {self._wanted_theme!r}; choose one with ctrl+p → theme")
        self._theme_ready = True
        if self.config.keys:
            self.set_keymap(self.config.keys)
        self.editor.help_hint = f"{self.key_name('help')} help"
        for problem in self.problems:
            self.notify(problem, title="config", severity="warning", timeout=10)
        self.set_interval(self.autosave_seconds, self.autosave)
        if self.guard is not None and self.guard.active:
            self.guard.settle()
            self.set_interval(1.0, self.guard.check)
        # Everything built at start-up (widgets, themes, the engine) lives for the whole session:
        # freezing it keeps full collections short while preview frames churn small objects.
        gc.freeze()
        if self.web:
            self.action_web_preview()

    def watch_theme(self, theme: str) -> None:
        """Remember a theme picked from the command palette."""
        if self._theme_ready and theme != self.config.theme and theme in self.available_themes:
            self._remember_theme(theme)

    def _use_theme(self, name: str) -> None:
        self.theme = name

    def _remember_theme(self, theme: str) -> None:
        self.config = self.config.with_theme(theme)
        written = set_theme(self.config.path or config_path(), theme)
        if written is None:
            self.notify("the theme could not be saved to the config file", severity="warning")
        elif self._theme_ready:
            self.notify(f"theme {theme!r} saved in {written}", title="theme", timeout=4)

    def panic(self, *renderables: RenderableType) -> None:
        """An editor that dies (e.g. its input thread) exits non-zero; Textual's own panic does
        not set a return code."""
        log.error("the editor stopped on an unexpected error")
        if not self.return_code:
            self._return_code = 1
        super().panic(*renderables)

    @property
    def document(self) -> Document:
        return self.editor.document

    def key_name(self, key_id: str) -> str:
        """The first key bound to ``key_id`` in the user's key map, for humans (``E``, ``f1``)."""
        return keys.display(keys.effective_keys(self.config.keys)[key_id].split(",")[0])

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """livecut's commands and themes only: Textual's own entries (a second Quit, Keys,
        Screenshot, twenty themes) would bury them."""
        for name in self.livecut_themes:
            yield SystemCommand(
                f"Theme: {name}",
                "use this colour theme (remembered in the config file)",
                partial(self._use_theme, name),
            )
        yield SystemCommand(
            "Browser preview",
            "serve the preview (with sound) to a browser and show its URL",
            partial(self.call_later, self.action_web_preview),
        )
        yield SystemCommand(
            "Export timeline…",
            "as OTIO, an OTIO bundle, a CMX 3600 EDL or FCP 7 XML (by the suffix)",
            partial(self.call_later, self.action_export_timeline),
        )
        yield SystemCommand(
            "Import timeline…",
            "a new project from an OTIO file or bundle, an EDL or FCP 7 XML",
            partial(self.call_later, self.action_import_timeline),
        )
        yield SystemCommand(
            "Cancel all exports",
            "stop the running export and drop the queued ones",
            partial(self.call_later, self.editor.exports.cancel_all),
        )
        effective = keys.effective_keys(self.config.keys)
        for spec in keys.KEYS:
            target = self if spec.scope == "app" else self.editor
            yield SystemCommand(
                spec.description,
                f"key: {keys.display(effective[spec.id])}",
                partial(self.call_later, target.run_action, spec.id),
            )
        # palette-only (#29): they open a dialog, then analyse in the background
        yield SystemCommand(
            "Remove silences…",
            "cut every quiet stretch of the selected clips (or the whole timeline): one undoable edit",
            partial(self.call_later, self.editor.ask_autocut, "silence"),
        )
        yield SystemCommand(
            "Split at scene changes…",
            "split the selected clips (or the whole timeline) where the picture changes: one undoable edit",
            partial(self.call_later, self.editor.ask_autocut, "scenes"),
        )

    def action_web_preview(self) -> None:
        """Serve the preview to a browser (``--web``, or the command palette) and show its URL and
        the ``ssh -L`` line for the port it got, in a dialog (``WebUrlScreen``)."""
        from core.web.server import ssh_tunnel  # aiohttp is loaded when the page is first asked for

        try:
            address = self.editor.bridge.start_web(self.web_port)
        except OSError as exc:
            log.error("the browser preview could not start: %s", exc)
            self.notify(f"the browser preview could not start: {exc}", severity="error", timeout=10)
            return
        self.web_url = address.url
        self.copy_to_clipboard(address.url)
        self.push_screen(WebUrlScreen(address.url, ssh_tunnel(address, os.environ)))

    # -- autosave --------------------------------------------------------------------------------
    def autosave(self) -> None:
        try:
            written = self.document.autosave()
        except LivecutError as exc:
            log.warning("autosave failed: %s", exc)
            self.notify(f"autosave failed: {exc}", severity="warning")
            return
        if written:
            self.editor.document_saved(f"autosaved {written.name}")

    @work(exclusive=True, group="dialog")
    async def offer_recovery(self) -> None:
        doc = self.document
        autosave = doc.newer_autosave()
        if autosave is None:
            return
        question = (
            f"An autosave of {doc.title} is newer than the file: recover the unsaved changes?\n"
            "(Recovering keeps them unsaved; save to keep them. Discarding deletes the autosave.)"
        )
        self._asking = True
        try:
            answer = await self.push_screen_wait(
                ChoiceScreen(
                    question,
                    [
                        Choice("recover", "Recover", "r"),
                        Choice("discard", "Discard", "ctrl+d", destructive=True),
                        Choice("later", "Not now", "escape"),
                    ],
                    title="recover autosave",
                )
            )
        finally:
            self._asking = False
        if answer == "recover":
            try:
                doc.recover(autosave)
            except LivecutError as exc:
                self.notify(str(exc), title="cannot recover", severity="error")
                return
            self.editor.message = "recovered the autosave (unsaved)"
            self.editor.timeline_changed()
        elif answer == "discard":
            doc.remove_autosave()

    # -- interchange (OTIO, EDL, FCP 7 XML) --------------------------------------------------------
    def action_export_timeline(self) -> None:
        if not self._asking:
            self._hold_keys()
            self.export_timeline_flow()

    def action_import_timeline(self) -> None:
        if not self._asking:
            self._hold_keys()  # a save question may come first: the keys are for the path, not it
            self.import_timeline_flow()

    @work(exclusive=True, group="dialog")
    async def export_timeline_flow(self) -> None:
        from core.interchange import export_timeline

        project = self.document.project
        text = await self._ask_path(
            "export timeline as .otio .otioz .edl or .xml (FCP 7)",
            str(self.document.base_dir / f"{file_stem(project.name, 'timeline')}.otio"),
            TIMELINE_EXTENSIONS,
        )
        if text is None:
            return
        try:
            result = await asyncio.to_thread(export_timeline, project, Path(text).expanduser())
        except LivecutError as exc:
            self.notify(str(exc), title="cannot export the timeline", severity="error", timeout=10)
            return
        left_out = f"; {result.markers_left_out} marker(s) over gaps left out" if result.markers_left_out else ""
        self.notify(f"wrote {result.path.name}: {result.clips} clips ({result.format.description}){left_out}")

    @work(exclusive=True, group="dialog")
    async def import_timeline_flow(self) -> None:
        from core.interchange import default_project_path, import_timeline

        if not await self._settle_unsaved("importing a timeline"):
            self._drop_parked_keys()
            return
        self._resume_held_keys()
        text = await self._ask_path(
            "import timeline (.otio .otioz .edl .xml)", str(self.document.base_dir) + "/", TIMELINE_EXTENSIONS
        )
        if text is None:
            return
        source = Path(text).expanduser()
        # an EDL has no rate: it is read at the open project's
        fps = self.document.project.fps if source.suffix.lower() == ".edl" else None
        try:
            result = await asyncio.to_thread(import_timeline, source, default_project_path(source), fps=fps)
            assert result.project.path is not None
            document = Document.open(result.project.path)
        except LivecutError as exc:
            self.notify(str(exc), title="cannot import the timeline", severity="error", timeout=10)
            return
        self.editor.load_document(document)
        dropped = len(result.notes)
        if dropped:
            shown = "\n".join(str(n) for n in result.notes[:5]) + ("\n…" if dropped > 5 else "")
            self.notify(
                f"{dropped} item(s) livecut cannot represent were dropped or flattened (all in the log):\n{shown}",
                title=f"imported {source.name}",
                severity="warning",
                timeout=15,
            )
        else:
            self.notify(f"imported {source.name} as {document.title}")

    # -- save / open / quit ------------------------------------------------------------------------
    def action_save(self) -> None:
        if not self._asking:
            self.save_flow()

    def action_save_as(self) -> None:
        if not self._asking:
            self._hold_keys()
            self.save_flow(ask_path=True)

    def action_open(self) -> None:
        if not self._asking:
            self._hold_keys()  # a save question may come first: the keys are for the path, not it
            self.open_flow()

    # -- keys typed while a path prompt opens ------------------------------------------------------
    def _hold_keys(self) -> None:
        """A path prompt is on its way: keys typed before it can take them are held, not given to
        the editor (``End`` would move the playhead, ``s`` split), and replayed into the prompt.
        Released when the prompt has focus, or after ``HOLD_KEYS_S`` whatever happens."""
        self._palette_hold = False  # a prompt claims the keys held since the palette's enter
        if self._held_keys is None:
            self._held_keys = []
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(HOLD_KEYS_S, self.release_keys)

    def release_keys(self) -> None:
        held, self._held_keys = self._held_keys, None
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        for key in held or ():
            self.post_message(events.Key(key.key, key.character))

    def on_path_prompt_ready(self, _message: PathPrompt.Ready) -> None:
        self.release_keys()

    def on_choice_screen_shown(self, _message: ChoiceScreen.Shown) -> None:
        """A question is on screen (save before opening…): keys held so far were typed for the
        path prompt that may follow it, not as an answer, so they are parked until that prompt
        (``_resume_held_keys``), and keys typed from now on answer the question."""
        if self._held_keys is not None:
            self._parked_keys += self._held_keys
            self._held_keys = None
            if self._hold_timer is not None:
                self._hold_timer.stop()
                self._hold_timer = None

    def _resume_held_keys(self) -> None:
        """The question is answered (or was not needed) and the path prompt comes: hold keys
        again, the parked ones first."""
        parked, self._parked_keys = self._parked_keys, []
        self._held_keys = parked + (self._held_keys or [])
        self._hold_keys()

    def _drop_parked_keys(self) -> None:
        """No prompt follows (the question was cancelled): the typed path goes nowhere; given to
        the editor, its letters would be edits."""
        self._parked_keys = []
        self.release_keys()

    def on_command_palette_closed(self, message: CommandPalette.Closed) -> None:
        """The palette ran a command (or was escaped): keys held since its enter go on to the
        prompt that command opened, or, when it opened none, back to where they belong. The
        command runs through one or two ``call_later`` hops, so the check waits two as well."""
        if not self._palette_hold:
            return
        if not message.option_selected:
            self._palette_hold = False
            self.release_keys()
            return
        self.call_later(self.call_later, self._end_palette_hold)

    def _end_palette_hold(self) -> None:
        if self._palette_hold:  # the command opened no prompt
            self._palette_hold = False
            self.release_keys()

    async def on_event(self, event: events.Event) -> None:
        # only keys as they come in: a key that was forwarded bubbles back here to run bindings
        # (the palette's enter is one), and must go through
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held_keys is not None:
                self._held_keys.append(event)
                return
            if isinstance(self.screen, ChoiceScreen) and self.screen.typed_ahead(event):
                log.debug("key %s typed before the question was drawn: ignored", event.key)
                return
            if event.key == "enter" and isinstance(self.screen, CommandPalette):
                # enter runs the chosen command only once the palette has handled it, and keys
                # typed right after it (a path for the prompt that command opens) would reach the
                # closing palette or the editor first: hold them from here
                await super().on_event(event)
                self._hold_keys()
                self._palette_hold = True
                return
        await super().on_event(event)

    def action_quit(self) -> None:  # type: ignore[override]
        if not self._asking:
            self.quit_flow()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.config.keys, self.config.path))

    @work(exclusive=True, group="dialog")
    async def save_flow(self, ask_path: bool = False) -> None:
        await self._save(ask_path)

    @work(exclusive=True, group="dialog")
    async def quit_flow(self) -> None:
        if not await self._settle_exports() or not await self._settle_unsaved("quitting"):
            return
        # cancelled exports remove their staged files: wait for that off the UI thread
        await asyncio.to_thread(self.editor.exports.close)
        self.exit(0)

    async def _settle_exports(self) -> bool:
        """An export runs or waits: ask before quitting cancels it; False to keep working."""
        editor = self.editor
        queue = editor.exports
        if not queue.busy:
            return True
        running = queue.running
        under_way = exports.running_text(running, editor.export_progress(), len(queue.waiting), self.document.base_dir)
        answer = await self._ask(
            ChoiceScreen(
                f"{under_way or 'An export is under way'}. Quitting cancels it.",
                [
                    Choice("quit", "Cancel export and quit", "ctrl+x", destructive=True),
                    Choice("keep", "Keep working", "escape"),
                ],
                title="export running",
            )
        )
        return answer == "quit"

    @work(exclusive=True, group="dialog")
    async def open_flow(self) -> None:
        if not await self._settle_unsaved("opening another project"):
            self._drop_parked_keys()
            return
        self._resume_held_keys()
        text = await self._ask_path("open project", str(self.document.base_dir) + "/")
        if text is None:
            return
        try:
            document = Document.open(Path(text).expanduser())
        except LivecutError as exc:
            self.notify(str(exc), title="cannot open", severity="error", timeout=10)
            return
        self.editor.load_document(document)
        self.notify(f"opened {document.title}")
        if self.check_autosave:
            self.offer_recovery()

    async def _settle_unsaved(self, doing: str) -> bool:
        """Ask to save unsaved changes before ``doing``; False when the user cancels."""
        if not self.document.dirty:
            self.document.remove_autosave()  # an autosave of a clean project holds only undone work
            return True
        answer = await self._ask(
            ChoiceScreen(
                f"Save the changes to {self.document.title} before {doing}?", SAVE_CHOICES, title="unsaved changes"
            )
        )
        if answer == "save":
            return await self._save(ask_path=False)
        if answer == "discard":
            self.document.remove_autosave()
            return True
        return False

    async def _save(self, ask_path: bool) -> bool:
        doc = self.document
        target = doc.path
        if ask_path or target is None:
            initial = str(target or doc.base_dir / f"{file_stem(doc.project.name, 'untitled')}.toml")
            text = await self._ask_path("save project as", initial)
            if text is None:
                return False
            target = Path(text).expanduser()
            if target.suffix != ".toml":
                target = target.with_name(target.name + ".toml")
            if target.exists() and target.resolve() != doc.path:
                answer = await self._ask(
                    ChoiceScreen(
                        f"{target} exists. Replace it?",
                        [
                            Choice("replace", "Replace", "ctrl+r", destructive=True),
                            Choice("cancel", "Cancel", "escape"),
                        ],
                        title="save as",
                    )
                )
                if answer != "replace":
                    return False
        try:
            saved = doc.save(target)
        except LivecutError as exc:
            self.notify(str(exc), title="not saved", severity="error", timeout=10)
            return False
        self.editor.document_saved(f"saved {saved.name}")
        return True

    async def _ask(self, screen: ChoiceScreen) -> str:
        self._asking = True
        try:
            return await self.push_screen_wait(screen)
        finally:
            self._asking = False

    async def _ask_path(self, title: str, initial: str, extensions: frozenset[str] = PROJECT_EXTENSIONS) -> str | None:
        """A path from the user; completion offers folders and files with ``extensions`` only."""
        suggester = PathSuggester(lambda: self.document.base_dir, extensions, only=True)
        self._asking = True
        try:
            return await self.push_screen_wait(PathPrompt(title, initial, suggester))
        finally:
            self._asking = False


def run_editor(args: argparse.Namespace, loaded: tuple[Config, list[str]] | None = None) -> int:
    """Open ``args.project`` (or a new project) in the editor; returns the exit status.

    ``loaded`` is the config and its problems as ``tui.cli.main`` read them at start, so the file
    is read once per run; without it (a test calling this directly) it is read here."""
    config, problems = loaded if loaded is not None else load_config()
    problems = list(problems)
    path = Path(args.project) if args.project else None
    if path is None:
        document = Document.new()
    elif os.path.lexists(path):  # a dangling link or a link loop is opened, and refused by the loader
        document = Document.open(path)
    else:
        document = Document.new(path)
    colour_note = tmux_truecolour()  # before Textual starts: it reads COLORTERM once
    if colour_note:
        problems.append(colour_note)
    with TerminalGuard() as guard:
        app = LivecutApp(
            document,
            theme=args.theme,
            preview=args.preview,
            workers=args.workers,
            config=config,
            config_problems=problems,
            guard=guard,
            graphics=args.graphics or config.graphics or "auto",
            web=args.web,
            web_port=args.web_port,
        )
        result = app.run()
    if app.return_code:
        log.error("the editor exited with status %d", app.return_code)
        return app.return_code
    return result or 0
