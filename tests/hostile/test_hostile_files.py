"""Hostile files get the treatment hostile servers get (untrusted-bytes.md rule 6): a
saved transcript, a user template directory and file names or paths, each carrying
terminal attacks, are opened in the app, every screen is visited, and every widget of
each is rendered whole and scanned: no ESC, no C0 control but newline and tab, no C1,
no bidi or other invisible format character, no `@click` action the app did not put
there, and the terminal title untouched. The command line's output, given the same
files and names, carries no control byte but newline and tab.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.text import Text
from textual.app import App
from textual.command import CommandPalette
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, TextArea

from sockscope.core.model import Exchange, Transport
from sockscope.core.templates import user_template_dir
from sockscope.export.transcript import load_transcript
from sockscope.tui.app import SockscopeApp
from sockscope.tui.playback import PlaybackApp
from sockscope.tui.screens.compare import CompareScreen
from sockscope.tui.screens.help import HelpScreen
from sockscope.tui.screens.options import OptionsScreen
from sockscope.tui.screens.path import PathScreen
from sockscope.tui.screens.relay import RelayBar, RelayScreen, default_args
from sockscope.tui.widgets.byte_view import LineView
from sockscope.tui.widgets.filled_input import FilledInput
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.listen_bar import ListenForm
from tests.hostile.files import HOSTILE_TEXTS, write_hostile_transcript
from tests.hostile.template_files import write_hostile_templates
from tests.tui.exchanges import http_exchange
from tests.tui.helpers import pilot_test, until

# The contract's attacks in one string: a title change, a clipboard write, C1, a bidi
# override, a screen clear, and Textual markup that would run an action or crash the
# parser. No NUL: the loader refuses it in a host or a path, which no name can hold.
CORE = (
    "\x1b]0;pwned\x07 \x1b]52;c;cHduZWQ=\x07 \u009b31m \u202egnp.exe \x1b[2J "
    "[@click=app.quit]x[/] x [/"
)
# With every attack the hostile servers make (tests.hostile.files), for the places
# that take any length: template files and arguments.
ATTACK = " ".join([CORE, *HOSTILE_TEXTS.values()])
# What a file name can hold of it: no `/`.
NAME_ATTACK = CORE.replace("/", "_")
# A Unix socket path has at most 107 bytes: the attacks that matter most.
PATH_ATTACK = "\x1b]0;pwned\x07\u009b[@click=app.quit]x"
SIZE = (160, 50)


def _within(texts: Iterable[str], limit: int) -> list[str]:
    """`texts` joined by spaces into as few strings as keep each within `limit` bytes."""
    groups: list[str] = []
    for text in texts:
        if groups and len(f"{groups[-1]} {text}".encode()) <= limit:
            groups[-1] = f"{groups[-1]} {text}"
        else:
            groups.append(text)
    return groups


# A transcript holds each text in every field, an ALPN name too (at most 255 bytes):
# the attacks are spread over as many transcripts as that takes.
TRANSCRIPT_TEXTS = _within([CORE, *HOSTILE_TEXTS.values()], 255)


# ---- the files -----------------------------------------------------------------------


def transcript_file(directory: Path, text: str, transport: str = "tls") -> Path:
    """A transcript with `text` in every field (tests.hostile.files), saved in a file
    with a hostile name, as `sockscope open` reads it."""
    return write_hostile_transcript(
        directory / f"saved{NAME_ATTACK}.json", text, transport=transport
    )


def hostile_transcripts(directory: Path) -> list[Exchange]:
    """What `sockscope open ...` opens: the hostile TLS transcripts, a plain exchange to
    compare with, and a hostile Unix one (shown last, so its socket path, of a length a
    path may have, is in the host field)."""
    files = [(text, "tls") for text in TRANSCRIPT_TEXTS] + [(f"/tmp/{PATH_ATTACK}", "unix")]
    opened = [http_exchange()]
    for index, (text, transport) in enumerate(files):
        folder = directory / str(index)
        folder.mkdir()
        opened.append(load_transcript(transcript_file(folder, text, transport)))
    return opened


def hostile_template_dir() -> Path:
    """The user template directory of this test (tests/conftest.py sets XDG_CONFIG_HOME
    per test), full of hostile template files."""
    directory = user_template_dir()
    write_hostile_templates(directory, ATTACK)
    return directory


def hostile_app(exchanges: Iterable[Exchange] = (), **kwargs: object) -> SockscopeApp:
    """The app as `sockscope open` starts it, with the user's (hostile) templates."""
    app = SockscopeApp(exchanges=list(exchanges), cursor_blink=False, **kwargs)  # type: ignore[arg-type]
    app.animation_level = "none"
    return app


# ---- the scan ------------------------------------------------------------------------


def _bad_character(ch: str) -> bool:
    return ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def assert_clean_text(text: str, where: str) -> None:
    bad = sorted({ch for ch in text if _bad_character(ch)})
    assert not bad, f"{where}: raw {bad!r} in {text!r}"


def assert_clean_segments(segments: Iterable[Segment], where: str) -> None:
    for segment in segments:
        assert_clean_text(segment.text, where)
        meta = segment.style.meta if segment.style is not None else {}
        # Textual's own scrollbars and links carry `@mouse.*`; injected markup, `@click`.
        assert "@click" not in meta, f"{where}: action {meta['@click']!r} on {segment.text!r}"


def _visual_segments(widget: Widget, prompt: object) -> list[Segment]:
    """What an OptionList option's prompt draws, whether or not it is on screen."""
    if isinstance(prompt, str):
        content = Content.from_markup(prompt) if widget._markup else Content(prompt)  # type: ignore[attr-defined]
    elif isinstance(prompt, Text):  # Textual's own (a Select's blank prompt)
        content = Content.from_rich_text(prompt)
    else:
        assert isinstance(prompt, Content), f"{widget!r}: a {type(prompt).__name__} prompt"
        content = prompt
    return list(content.render_segments())


def assert_screen_is_safe(app: App[int], where: str, typed: Input | None = None) -> None:
    """What the terminal gets now, then every widget of the screen rendered whole (the
    parts scrolled away or in a closed Select too); `typed` is a field the test typed
    into, whose value is the user's own and stays as typed."""
    screen = app.screen
    for y, strip in enumerate(screen._compositor.render_strips()):
        assert_clean_segments(strip, f"{where}: screen row {y}")
    for widget in screen.walk_children(with_self=True):
        name = f"{where}: {widget!r}"
        for title in (widget.border_title, widget.border_subtitle):
            assert_clean_text(str(title or ""), f"{name} border")
        width, height = widget.size
        if width and height:
            for strip in widget.render_lines(Region(0, 0, width, height)):
                assert_clean_segments(strip, name)
        if isinstance(widget, OptionList):
            for index in range(widget.option_count):
                prompt = widget.get_option_at_index(index).prompt
                assert_clean_segments(_visual_segments(widget, prompt), f"{name} option {index}")
        if isinstance(widget, LineView):
            lines = widget.lines
            for y in range(len(lines)):
                assert_clean_segments(lines.line(y).render_segments(), f"{name} row {y}")
        if isinstance(widget, Input) and widget is not typed:
            assert_clean_text(widget.value, f"{name} value")
        if isinstance(widget, TextArea):  # the request editor, filled by a template
            assert_clean_text(widget.text, f"{name} text")
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                for x, cell in enumerate(widget.get_row_at(row)):
                    assert isinstance(cell, Content), f"{name} cell {row},{x}: {cell!r}"
                    assert_clean_segments(cell.render_segments(), f"{name} cell {row},{x}")
    for text in (app.title, app.sub_title, screen.title or "", screen.sub_title or ""):
        assert_clean_text(text, f"{where}: title")
    assert app.title == type(app).TITLE
    assert app.is_running, f"{where}: the app stopped"


async def visit_every_screen(pilot, app: SockscopeApp, query: str) -> None:  # type: ignore[no-untyped-def]
    """Each screen a user can reach from the explorer, scanned; `query` is typed in the
    command palette (it should match something hostile)."""
    await pilot.pause()
    assert_screen_is_safe(app, "explorer")
    await pilot.press("ctrl+n")  # the history, focused (a tab in narrow layouts)
    assert_screen_is_safe(app, "history")
    for key, screen_type in (("f1", HelpScreen), ("ctrl+o", OptionsScreen), ("f3", PathScreen)):
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, screen_type), key
        assert_screen_is_safe(app, key)
        await pilot.press("escape")
        await pilot.pause()
    app.action_export("ncat")
    await pilot.pause()
    assert isinstance(app.screen, PathScreen)
    assert_screen_is_safe(app, "export")
    await pilot.press("escape")
    await visit_palette(pilot, app, query)
    await visit_compare(pilot, app)
    await pilot.press("ctrl+g")
    await pilot.pause()
    assert_screen_is_safe(app, "listen")
    await pilot.press("escape")
    await pilot.pause()
    assert_screen_is_safe(app, "explorer again")
    await visit_history(pilot, app)


async def visit_history(pilot, app: SockscopeApp) -> None:  # type: ignore[no-untyped-def]
    """Each history entry shown in the panes in turn, as Enter on it does."""
    history = app.query_one(History)
    history.focus()
    for index in range(len(history.exchanges)):
        history.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert app.explorer.current is history.exchanges[index]
        assert_screen_is_safe(app, f"history entry {index + 1} shown")


async def visit_palette(pilot, app: SockscopeApp, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    assert_screen_is_safe(app, "palette")
    await pilot.press(*query)
    palette = app.screen
    await until(
        pilot, lambda: palette.query_one("CommandList", OptionList).option_count > 0, "hits"
    )
    assert_screen_is_safe(app, f"palette {query!r}")
    await pilot.press("escape")
    await pilot.pause()


async def visit_compare(pilot, app: SockscopeApp) -> None:  # type: ignore[no-untyped-def]
    history = app.query_one(History)
    if len(history.exchanges) < 2:
        return
    await pilot.press("f4")  # the shown (last) entry, compared with the one before it
    history.highlighted = len(history.exchanges) - 2
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    await until(pilot, lambda: screen.comparison is not None, "the comparison")
    assert_screen_is_safe(app, "compare")
    await pilot.press("escape")
    await pilot.pause()


# ---- the app -------------------------------------------------------------------------


@pilot_test
async def test_hostile_transcripts_show_as_text_on_every_screen(tmp_path: Path) -> None:
    app = hostile_app(hostile_transcripts(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await visit_every_screen(pilot, app, "tls")
        # The narrow layout draws the views as tabs.
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert_screen_is_safe(app, "explorer at 80x24")
    assert app.return_code in (None, 0)


@pilot_test
async def test_hostile_transcripts_play_back_as_text_event_by_event(tmp_path: Path) -> None:
    """`sockscope open FILE --play`: the diagram, the code, the bytes, the timeline and the
    sentence saying what happened, at every step of each hostile transcript."""
    for exchange in hostile_transcripts(tmp_path)[1:]:
        app = PlaybackApp(exchange)
        app.animation_level = "none"
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert_screen_is_safe(app, "playback start")
            for step in range(len(exchange.events)):
                await pilot.press("right")
                assert_screen_is_safe(app, f"playback step {step + 1}")
        assert app.return_code in (None, 0)


@pilot_test
async def test_a_transcripts_host_shows_as_tokens_and_is_replayed_as_it_is(
    tmp_path: Path,
) -> None:
    """The host field shows the transcript's Unix path with tokens for its controls;
    what the app would connect to is the path itself, until the user edits the field."""
    opened = hostile_transcripts(tmp_path)
    app = hostile_app(opened)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        host = app.query_one("#host", FilledInput)
        assert host.value == f"/tmp/{PATH_ATTACK}".replace("\x1b", "␛").replace(
            "\x07", "␇"
        ).replace("\u009b", "\\x9b")
        assert host.true_value == opened[-1].target.host
        host.value = "/tmp/typed"  # what the user types is theirs
        await pilot.pause()
        assert host.true_value == "/tmp/typed"


@pilot_test
async def test_hostile_user_templates_show_as_text_in_the_palette_the_bar_and_the_editor() -> None:
    hostile_template_dir()
    app = hostile_app([http_exchange()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert "hostile" in app.templates and "hostile-steps" in app.templates
        await visit_every_screen(pilot, app, "hostile")
        # Choose the template from the palette, as a user would: its title is the hit.
        await pilot.press("ctrl+p", *"template hostile")
        palette = app.screen
        hits = palette.query_one("CommandList", OptionList)
        await until(pilot, lambda: hits.option_count > 0, "template hits")
        assert_screen_is_safe(app, "palette template hits")
        await pilot.press("enter")
        await pilot.pause()
        # The hit's text went into the palette's input: shown as tokens too.
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        assert app.query_one("#template").value in ("hostile", "hostile-steps")  # type: ignore[attr-defined]
        assert_screen_is_safe(app, "explorer with a hostile template")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert_screen_is_safe(app, "options of a hostile template")
    assert app.return_code in (None, 0)


@pilot_test
async def test_clicking_a_template_hit_whose_title_is_action_markup_runs_nothing() -> None:
    hostile_template_dir()
    app = hostile_app([http_exchange()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+p", *"template hostile")
        hits = app.screen.query_one("CommandList", OptionList)
        await until(pilot, lambda: hits.option_count > 0, "hits")
        first = hits.get_option_at_index(0).prompt
        assert isinstance(first, Content)
        assert "[@click=app.quit]x[/]" in first.plain  # literal text, in the hit
        # A click right on it chooses the template, as on any hit; nothing else runs.
        column = first.plain.index("[@click")
        # Row 1: row 0 is the list's top border.
        await pilot.click(hits, offset=(min(column + 2, hits.size.width - 3), 1))
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the choice")
        assert app.is_running
        assert app.query_one("#template").value in ("hostile", "hostile-steps")  # type: ignore[attr-defined]


@pilot_test
async def test_hostile_file_names_in_save_and_export_messages_show_as_text(
    tmp_path: Path,
) -> None:
    app = hostile_app([http_exchange()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for name, action in (
            ("saved", app.action_save),
            ("export", lambda: app.action_export("python")),
        ):
            # Written: the notification names the file.
            action()
            await pilot.pause()
            field = app.screen.query_one("#path-input", Input)
            field.value = str(tmp_path / f"{name}{NAME_ATTACK}")
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, PathScreen)
            assert (tmp_path / f"{name}{NAME_ATTACK}").exists()
            toasts = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
            assert "written to" in toasts
            assert_screen_is_safe(app, f"{name}: written")
            # Refused: the message under the field names it.
            action()
            await pilot.pause()
            field = app.screen.query_one("#path-input", Input)
            field.value = str(tmp_path / f"missing{NAME_ATTACK}" / "x")
            await pilot.press("enter")
            await pilot.pause()
            assert "cannot write" in str(app.screen.query_one("#path-message").render())
            assert_screen_is_safe(app, f"{name}: refused", typed=field)
            await pilot.press("escape")
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_hostile_unix_path_given_to_listen_shows_as_text(tmp_path: Path) -> None:
    """`sockscope listen --app --unix PATH`: the field, and the refusal quoting it."""
    path = str(tmp_path / "missing" / PATH_ATTACK)
    form = ListenForm(host=path, transport=Transport.UNIX)
    app = hostile_app(listen=form)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert_screen_is_safe(app, "listen on a hostile path")
        host = app.screen.query_one("#listen-host", FilledInput)
        assert host.true_value == path
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_hostile_target_given_to_relay_shows_as_text(tmp_path: Path) -> None:
    """`sockscope relay LISTEN PATH --app`: both fields, and the status line quoting them."""
    path = str(tmp_path / "missing" / PATH_ATTACK)
    app = hostile_app(relay=default_args(target=path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, RelayScreen)
        assert_screen_is_safe(app, "relay to a hostile path")
        assert app.screen.query_one("#relay-target", FilledInput).true_value == path
        assert app.screen.query_one(RelayBar).args().target == path
    assert app.return_code in (None, 0)


# ---- the command line ----------------------------------------------------------------


def assert_clean_output(result, where: str) -> None:  # type: ignore[no-untyped-def]
    assert_clean_text(result.out, f"{where} stdout")
    assert_clean_text(result.err, f"{where} stderr")
    assert "Traceback" not in result.err, where


def test_open_and_export_of_hostile_files_print_no_control_character(
    tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    saved = []
    for index, text in enumerate(TRANSCRIPT_TEXTS):
        (tmp_path / str(index)).mkdir()
        saved.append(transcript_file(tmp_path / str(index), text))
    missing = tmp_path / f"missing{NAME_ATTACK}.json"
    result = cli("open", missing)
    assert result.code == 2
    assert_clean_output(result, "open of a missing file")
    not_json = tmp_path / f"bad{NAME_ATTACK}.json"
    not_json.write_text(f"{{{ATTACK}")
    for command in (("open", not_json), ("export", not_json, "-f", "json")):
        result = cli(*command)
        assert result.code == 2, command
        assert_clean_output(result, " ".join(map(str, command)))
    for path in saved:
        for fmt in ("json", "python", "curl", "ncat", "socat"):
            result = cli("export", path, "-f", fmt)
            assert_clean_output(result, f"export -f {fmt} of {path.parent.name}")
    result = cli("export", saved[0], "-f", "json", "-o", tmp_path / f"no{NAME_ATTACK}" / "x")
    assert result.code == 2
    assert_clean_output(result, "export -o into a missing directory")


def test_compare_of_hostile_transcripts_prints_no_control_character(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "unix").mkdir()
    right = transcript_file(tmp_path / "unix", f"/tmp/{PATH_ATTACK}", "unix")
    for index, text in enumerate(TRANSCRIPT_TEXTS):
        (tmp_path / str(index)).mkdir()
        left = transcript_file(tmp_path / str(index), text)
        result = cli("compare", left, right, "--all")
        assert result.code == 0, result.err
        assert_clean_output(result, f"compare {index}")


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param(("send", "--unix", f"/nonexistent/{PATH_ATTACK}", "-d", "x"), id="send-unix"),
        pytest.param(("send", f"h{ATTACK}", "80"), id="send-host"),
        pytest.param(("send", "127.0.0.1", "1", "--data-file", f"/none{ATTACK}"), id="data-file"),
        pytest.param(("send", "-T", f"nope{ATTACK}", "127.0.0.1", "1"), id="send-template"),
        pytest.param(("connect", "--unix", f"/nonexistent/{PATH_ATTACK}"), id="connect-unix"),
        pytest.param(("connect", f"h{ATTACK}", "80"), id="connect-host"),
        pytest.param((f"--bogus{ATTACK}",), id="unknown-option"),
        pytest.param(("templates", "--show", f"nope{ATTACK}"), id="templates-show"),
        pytest.param(("lab", "--host", f"h{ATTACK}"), id="lab-host"),
        pytest.param(
            ("listen", "--transport", "unix", f"/nonexistent/{PATH_ATTACK}"), id="listen-unix"
        ),
    ],
)
def test_hostile_arguments_are_echoed_without_control_characters(cli, arguments) -> None:  # type: ignore[no-untyped-def]
    result = cli(*arguments, "--timeout", "1") if arguments[0] == "send" else cli(*arguments)
    assert result.code != 0
    assert_clean_output(result, " ".join(arguments))


FORGED = "x.json\nsockscope: all good\tok"  # a name that would print a line of its own


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param(("export", f"/nonexistent/{FORGED}", "-f", "curl"), id="export"),
        pytest.param(("compare", f"/nonexistent/{FORGED}", "/nonexistent/b"), id="compare"),
        pytest.param(("open", f"/nonexistent/{FORGED}"), id="open"),
        pytest.param(("send", "127.0.0.1", "1", "--data-file", f"/none/{FORGED}"), id="data"),
        pytest.param(("templates", "--show", FORGED), id="templates-show"),
        pytest.param(("send", "--unix", f"/nonexistent/{FORGED}", "-d", "x"), id="send-unix"),
        pytest.param(("relay", f"/nonexistent/{FORGED}", "127.0.0.1:1"), id="relay-unix"),
        pytest.param(("listen", "--transport", "unix", f"/nonexistent/{FORGED}"), id="listen"),
        pytest.param(("connect", "--unix", f"/nonexistent/{FORGED}"), id="connect-unix"),
        pytest.param(("lab", "--host", FORGED), id="lab-host"),
    ],
)
def test_a_name_with_a_newline_cannot_print_a_line_of_its_own(cli, arguments) -> None:  # type: ignore[no-untyped-def]
    """A refusal is one line, and so is each report line quoting the name."""
    result = cli(*arguments)
    assert result.code != 0
    output = result.out + result.err
    assert "\nsockscope: all good" not in output
    assert "x.json␤sockscope: all good␉ok" in output
    if result.code == 2:
        assert result.err.count("\n") == 1, result.err


def test_the_templates_command_lists_hostile_templates_without_control_characters(
    cli,
) -> None:  # type: ignore[no-untyped-def]
    hostile_template_dir()
    for arguments in (("templates",), ("templates", "--json"), ("templates", "--show", "hostile")):
        result = cli(*arguments)
        assert result.code == 0, result.err
        assert_clean_output(result, " ".join(arguments))
