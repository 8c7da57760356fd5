"""The ``?`` screen: every key, grouped, as the user's keymap has it now.

Why generated: it is built from ``tui.settings.keys.KEYS`` with the config file's remaps applied, so it
can never disagree with what the keys actually do, and it tells where to remap them.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.settings import keys
from tui.widgets.segment_bar import GLYPH, LEGEND


def group_table(group: str, effective: dict[str, str]) -> Table:
    table = Table(
        title=group, title_justify="left", title_style="bold", show_header=False, box=None, padding=(0, 1), expand=False
    )
    table.add_column("keys", style="bold", min_width=11, no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("name", style="dim", no_wrap=True)
    for spec in keys.KEYS:
        if spec.group == group:  # the name is what [keys] in the config file remaps
            table.add_row(keys.display(effective[spec.id]), spec.description, spec.id)
    return table


LAYOUTS: dict[int, tuple[tuple[str, ...], ...]] = {
    1: (keys.GROUPS,),
    2: (
        ("Transport", "Navigate", "Markers", "Source", "View"),
        ("Select", "Trim", "Edit", "Clipboard", "Sound", "File"),
    ),
    3: (
        ("Transport", "Navigate", "Markers", "View"),
        ("Source", "Select", "Trim", "Edit"),
        ("Clipboard", "Sound", "File"),
    ),
}
"""Groups per column, balanced by height, for 1, 2 or 3 columns."""


def key_columns(keymap: dict[str, str], width: int) -> Table:
    """Every group of keys laid out in as many columns as ``width`` allows."""
    effective = keys.effective_keys(keymap)
    count = 3 if width >= 210 else 2 if width >= 140 else 1
    grid = Table.grid(padding=(0, 3))
    columns = LAYOUTS[count]
    for _ in columns:
        grid.add_column(vertical="top")
    cells = []
    for groups in columns:
        stack: list[Table | Text] = []
        for group in groups:
            stack += [group_table(group, effective), Text()]
        cells.append(Group(*stack[:-1]))
    cells[-1] = Group(cells[-1], Text(), legend_table())
    grid.add_row(*cells)
    return grid


def legend_table() -> Table:
    """What each glyph of the segment bar means."""
    table = Table(
        title="Segment bar", title_justify="left", title_style="bold", show_header=False, box=None, padding=(0, 1)
    )
    table.add_column("glyph", style="bold", min_width=11, no_wrap=True)
    table.add_column("state", no_wrap=True)
    for state, meaning in LEGEND:
        table.add_row(GLYPH[state], meaning)
    return table


def selection_rule(keymap: dict[str, str]) -> Text:
    """Which clip the keys act on (the rule of ``tui.editor.editing``), with the user's keys."""
    k = {action: keys.display(spec).split(" / ")[0] for action, spec in keys.effective_keys(keymap).items()}
    return Text.assemble(
        ("Which clip the keys act on  ", "bold"),
        f'the selected clip ({k["select_next"]} / {k["select_prev"]}; drawn ⎡ ⎤, "clip 2/5 selected"), else the '
        'clip under the playhead ("under playhead"). Moving the playhead keeps the selection; '
        f"{k['mark_none']} clears it, as does deleting the clip.\n"
        f"{k['trim_in']} {k['trim_out']} {k['split']} cut at the playhead, so it must be inside that clip. "
        f"Clips marked with {k['mark_clip']} (✓) take over for {k['delete_clip']} {k['lift']} {k['cut']} "
        f"{k['copy']} {k['mute']} and gain.",
    )


def _home(path: Path | None) -> str:
    if path is None:
        return "config.toml"
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class HelpScreen(ModalScreen[None]):
    """Key reference; escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", show=False),
    ]

    def __init__(self, keymap: dict[str, str], config_file: Path | None) -> None:
        super().__init__()
        self.keymap = keymap
        self.config_file = config_file

    def compose(self) -> ComposeResult:
        footer = Text.assemble(
            ("ctrl+p", "bold"),
            " command palette (themes, every action)   ",
            ("esc", "bold"),
            " close\n",
            "Remap keys in ",
            (_home(self.config_file), "italic"),
            ':  [keys]  split = "ctrl+k"',
        )
        with VerticalScroll(id="help-body") as body:
            body.border_title = "livecut keys"
            yield Static(
                Group(
                    selection_rule(self.keymap), Text(), key_columns(self.keymap, self.app.size.width), Text(), footer
                )
            )

    def action_close(self) -> None:
        self.dismiss(None)
