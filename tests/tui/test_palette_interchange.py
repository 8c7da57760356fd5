"""Export timeline… and Import timeline… from the command palette: an EDL out and back in."""

from __future__ import annotations

from pathlib import Path

from core.model import project as proj
from tests.tui.conftest import make_app
from tui.editor.document import Document


async def test_export_and_import_a_timeline_from_the_palette(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    project = proj.new_from_media(tmp_path / "p.toml", [str(tiny_media["a"]), str(tiny_media["b"])])
    proj.save(project)
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Export timeline…" in titles and "Import timeline…" in titles
        app.action_export_timeline()
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "cut.edl")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (tmp_path / "cut.edl").exists()
        app.action_import_timeline()
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "cut.edl")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.document.path is not None and app.document.path.name != "p.toml"
        assert [c.length for c in app.document.timeline.clips] == [c.length for c in project.timeline.clips]
