"""Template files that did not load: the line under the target bar says how many and
where each is named in full; the palette lists them, and choosing one shows it whole."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import OptionList

from sockscope.core.templates import user_template_dir
from sockscope.tui.app import SockscopeApp
from tests.tui.helpers import pilot_test, until

BAD_FILES = {
    "a.toml": b'title = "x"\nport = [',
    "b.toml": b'title = "y"\nbogus = 1\n',
    "c.toml": b"\xff\xfe",
}


def app_with_bad_templates() -> SockscopeApp:
    directory = user_template_dir()  # tests/conftest.py gives each test its own
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in BAD_FILES.items():
        (directory / name).write_bytes(text)
    app = SockscopeApp(cursor_blink=False)
    app.animation_level = "none"
    return app


@pilot_test
async def test_the_target_bar_says_how_many_template_files_failed_and_where_to_read_each() -> None:
    for size in ((80, 24), (120, 36)):
        app = app_with_bad_templates()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            shown = app.query_one("#target-message").render()
            assert str(shown).startswith(
                '3 template problems (ctrl+p: "Template problem" lists them): template file '
            ), (size, str(shown))


@pilot_test
async def test_the_palette_lists_every_template_problem_and_shows_the_one_chosen() -> None:
    app = app_with_bad_templates()
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await pilot.press("ctrl+p", *"template problem")
        hits = app.screen.query_one("CommandList", OptionList)
        await until(pilot, lambda: hits.option_count == 3, "three template problems")
        shown = [str(hits.get_option_at_index(i).prompt) for i in range(3)]
        for name in BAD_FILES:
            assert any(f"{name}':" in hit for hit in shown), (name, shown)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette")
        notes = [str(n.message) for n in app._notifications]
        assert any("a.toml': is not valid TOML" in note for note in notes), notes
