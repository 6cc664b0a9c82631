"""Every hostile case through the running app, set up as a user would (the command
line's target and template, the request editor, the Options screen): the status line,
the Headers pane and the byte counts say what the table says, nothing on screen is a
raw control or injected markup, the app does not crash, Escape cancels an endless case
and keeps its bytes, and a firehose costs memory near the capture limit, not near what
was received.

Cases that `sockscope send` meets with the same arguments share one app, which sends
to each in turn (Options once, then the port and the request for each): starting the
app and its Options screen is most of a case's cost. Each case is still its own test,
on what the app showed for it.
"""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pytest
from textual.content import Content
from textual.widgets import Checkbox, Input, Select

from sockscope.cli.send import SendPlan
from sockscope.core.analysis import analyse
from sockscope.core.model import EventType, Exchange, StopReason
from sockscope.core.sanitize import sanitize
from sockscope.core.templates import builtin_templates
from sockscope.core.views import human_bytes
from sockscope.lab import LabThread
from sockscope.lab.hostile import CASES, Case, case
from sockscope.lab.hostile.transport import FIREHOSE_BYTES
from sockscope.tui.app import SockscopeApp
from sockscope.tui.options import POLICY_FIELDS, format_policy_value
from sockscope.tui.screens.options import OptionsScreen
from sockscope.tui.widgets.history import History
from sockscope.tui.widgets.request_editor import RequestEditor
from sockscope.tui.widgets.status import State, StatusLine
from sockscope.tui.widgets.timeline import Timeline
from tests.hostile.conftest import ExchangeOf, case_params, send_plan, unsafe_characters
from tests.hostile.test_memory_bounded import CAPTURE_LIMIT, PEAK_LIMIT
from tests.tui.helpers import pilot_test, until, view_text
from tests.tui.test_display_attacks import _assert_screen_is_safe

# A family of cases runs in one app, once per module (seen_in_app): one pytest-xdist
# worker takes the whole module, so that no family runs twice.
pytestmark = pytest.mark.xdist_group("hostile-app")

SIZE = (120, 36)
FINISHED = (State.DONE, State.FAILED, State.CANCELLED)
# Counted from a never-ending server before Escape: far past the capture limit.
NEVER_ENDING_READ = 64 * 1024 * 1024
# A user's way to read on past the capture limit without keeping the bytes.
DISCARD = "/dev/null"
# Seconds the lab may take to end a connection after its client left (see the engine test).
SERVER_GONE = 10.0

# The cases only a limit or Cancel ends. The firehose ends by itself, faster than a key
# reaches the app: its Escape would race the server's last byte (the engine test cancels
# it from inside the event callback; the memory test below reads it to the end).
ENDLESS = tuple(c for c in CASES if c.endless)


# ---- driving the app as a user would ------------------------------------------------


def explorer_for(plan: SendPlan) -> SockscopeApp:
    """The app as `sockscope HOST PORT -t TRANSPORT -T TEMPLATE` opens it (built-in
    templates only, no cursor blink, no animation, as tui.helpers.make_app)."""
    target = plan.target
    app = SockscopeApp(
        host=target.host,
        port=target.port,
        transport=target.transport.value,
        template=plan.template.name if plan.template else None,
        templates=builtin_templates(),
        cursor_blink=False,
    )
    app.animation_level = "none"
    return app


async def set_options(pilot, app: SockscopeApp, plan: SendPlan, **policy: object) -> None:  # type: ignore[no-untyped-def]
    """The Options screen filled with what `sockscope send` got from the case's
    arguments; `policy` overrides fields of its read policy, `capture_file` the file."""
    capture_file = str(policy.pop("capture_file", ""))
    wanted = replace(plan.policy, **policy)
    tls = plan.target.tls
    await pilot.press("ctrl+o")
    screen = app.screen
    assert isinstance(screen, OptionsScreen)
    screen.query_one("#opt-verify", Checkbox).value = tls.verify
    screen.query_one("#opt-ca", Input).value = tls.ca_file or ""
    screen.query_one("#opt-half-close", Checkbox).value = wanted.half_close
    for field_id, _label, name in POLICY_FIELDS:
        value = format_policy_value(name, getattr(wanted, name))
        screen.query_one(f"#opt-{field_id}", Input).value = value
    screen.query_one("#opt-capture-file", Input).value = capture_file
    await pilot.press("ctrl+o")  # apply
    assert not isinstance(app.screen, OptionsScreen), str(screen.query_one("#options-message"))


async def point_at(pilot, app: SockscopeApp, plan: SendPlan) -> None:  # type: ignore[no-untyped-def]
    """The case's address in the target bar and its exact request in the editor (typed
    in, as the case's `sockscope send` arguments give it, not rendered from a template)."""
    target = plan.target
    app.query_one("#transport", Select).value = target.transport
    app.query_one("#host", Input).value = target.host
    app.query_one("#port", Input).value = "" if target.port is None else str(target.port)
    editor = app.query_one(RequestEditor)
    editor.set_bytes(plan.request)
    await pilot.pause()
    assert editor.request_bytes() == plan.request


def status(app: SockscopeApp) -> StatusLine:
    return app.query_one(StatusLine)


def status_text(app: SockscopeApp) -> str:
    return str(status(app).render())


async def send_and_wait(pilot, app: SockscopeApp, what: str) -> Exchange:  # type: ignore[no-untyped-def]
    """Send, and wait until the exchange has ended on screen; the exchange shown."""
    runs = len(app.query_one(History).exchanges)
    await pilot.press("ctrl+s")
    await until(
        pilot,
        lambda: len(app.query_one(History).exchanges) > runs and status(app).state in FINISHED,
        what,
    )
    exchange = app.explorer.current
    assert exchange is not None
    assert app.query_one(History).exchanges[-1] is exchange
    return exchange


def shows_received_bytes(app: SockscopeApp) -> bool:
    return view_text(app, "received-view").startswith(("b'", 'b"'))


def received_badge(app: SockscopeApp) -> str:
    return str(app.query_one("#received").border_subtitle)


def assert_everything_shown_is_safe(app: SockscopeApp) -> None:
    """The screen and every row of every line view (the display-attack scan), and every
    timeline cell, also those scrolled out of sight."""
    _assert_screen_is_safe(app)
    timeline = app.query_one(Timeline)
    for y in range(timeline.row_count):
        for cell in timeline.get_row_at(y):
            text = cell.plain if isinstance(cell, Content) else str(cell)
            assert unsafe_characters(text) == set(), f"timeline row {y}: {text!r}"
    assert "internal error" not in status_text(app)


# ---- every case: one app per set of `send` arguments ----------------------------------


@dataclass(frozen=True)
class Seen:
    """What the app showed once a case's exchange had ended."""

    plan: SendPlan
    exchange: Exchange
    state: State
    status: str
    headers: str
    badge: str
    shows_bytes: bool
    unsafe: str | None  # why the screen scan failed, if it did


def family(case: Case) -> tuple[str, tuple[str, ...]]:
    return case.transport, case.client


FAMILIES: dict[tuple[str, tuple[str, ...]], list[Case]] = {}
for _case in CASES:
    FAMILIES.setdefault(family(_case), []).append(_case)


async def see_family(lab: LabThread, cases: list[Case]) -> dict[str, Seen]:
    plans = [send_plan(lab, c) for c in cases]
    app = explorer_for(plans[0])
    seen: dict[str, Seen] = {}
    async with app.run_test(size=SIZE) as pilot:
        await set_options(pilot, app, plans[0])
        for each, plan in zip(cases, plans, strict=True):
            await point_at(pilot, app, plan)
            exchange = await send_and_wait(pilot, app, f"{each.name} to end")
            try:
                assert_everything_shown_is_safe(app)
                unsafe = None
            except AssertionError as exc:
                unsafe = str(exc)
            seen[each.name] = Seen(
                plan,
                exchange,
                status(app).state,
                status_text(app),
                view_text(app, "headers-view"),
                received_badge(app),
                shows_received_bytes(app),
                unsafe,
            )
    assert app.return_code in (None, 0)
    return seen


SeenOf = Callable[[Case], Seen]


@pytest.fixture(scope="module")
def seen_in_app(hostile_lab: LabThread) -> SeenOf:
    """What the app showed for a case; its family's app runs once, at the first ask."""
    done: dict[str, Seen] = {}
    failed: dict[tuple[str, tuple[str, ...]], BaseException] = {}

    def see(case: Case) -> Seen:
        key = family(case)
        if key in failed:
            raise failed[key]
        if case.name not in done:
            try:
                done.update(asyncio.run(see_family(hostile_lab, FAMILIES[key])))
            except BaseException as exc:  # a crash fails each case of the family, once run
                failed[key] = exc
                raise
        return done[case.name]

    return see


@pytest.mark.parametrize("case", case_params())
def test_the_status_line_says_how_each_case_ended(seen_in_app: SeenOf, case: Case) -> None:
    seen = seen_in_app(case)
    exchange, expect = seen.exchange, case.expect

    # The app ran exactly what `sockscope send` ran.
    assert (exchange.target, exchange.request, exchange.policy) == (
        seen.plan.target,
        seen.plan.request,
        seen.plan.policy,
    )
    assert exchange.stop is expect.stop, exchange.stop_message
    assert (exchange.error.kind if exchange.error else None) is expect.error
    assert seen.state is (State.FAILED if expect.error else State.DONE)
    assert seen.status.startswith(f" {seen.state.value} ")
    assert sanitize(expect.says) in seen.status


@pytest.mark.parametrize("case", case_params(tuple(c for c in CASES if c.expect.problems)))
def test_the_headers_pane_names_each_case_http_problems(
    seen_in_app: SeenOf, exchange_of: ExchangeOf, case: Case
) -> None:
    seen = seen_in_app(case)
    plan, engine = exchange_of(case)

    analysis = analyse(engine, plan.template.parser if plan.template else None)
    assert analysis.http is not None
    named = [p for p in analysis.http.problems if p.code in case.expect.problems]
    assert {p.code for p in named} == set(case.expect.problems)
    for problem in named:
        assert sanitize(problem.message) in seen.headers, problem


@pytest.mark.parametrize("case", case_params())
def test_the_app_keeps_and_counts_the_bytes_the_engine_received(
    seen_in_app: SeenOf, exchange_of: ExchangeOf, case: Case
) -> None:
    seen = seen_in_app(case)
    _, engine = exchange_of(case)
    exchange = seen.exchange

    limit = seen.plan.policy.capture_limit
    # How much arrived before a limit fired, or the last read past it, depends on timing.
    if case.endless or case.sends is None:
        assert len(exchange.received) <= limit
        if exchange.stop is StopReason.CAPTURE_LIMIT:
            assert len(exchange.received) == limit
        common = min(len(exchange.received), len(engine.received))
        assert exchange.received[:common] == engine.received[:common]
    else:
        assert exchange.received == engine.received
        assert exchange.bytes_in == engine.bytes_in
        assert f"↓ {human_bytes(engine.bytes_in)}" in seen.status
    kept = human_bytes(len(exchange.received))
    if exchange.bytes_in > len(exchange.received):
        assert seen.badge.startswith(f"kept {kept} of ")
    else:
        assert seen.badge == kept
    assert seen.shows_bytes is bool(exchange.received)


@pytest.mark.parametrize("case", case_params())
def test_nothing_the_app_shows_for_a_case_is_a_control_or_markup(
    seen_in_app: SeenOf, case: Case
) -> None:
    assert seen_in_app(case).unsafe is None


# ---- Escape -------------------------------------------------------------------------


@pytest.mark.parametrize("case", case_params(ENDLESS))
@pilot_test
async def test_escape_cancels_an_endless_case_and_keeps_what_arrived(
    hostile_lab: LabThread, case: Case
) -> None:
    plan = send_plan(hostile_lab, case)
    app = explorer_for(plan)
    async with app.run_test(size=SIZE) as pilot:
        # Only Escape may end it: no idle timeout, a distant deadline, and bytes past
        # the capture limit counted into a file that keeps none of them.
        await set_options(
            pilot,
            app,
            plan,
            connect_timeout=60.0,
            idle_timeout=None,
            deadline=60.0,
            capture_file=DISCARD,
        )
        await point_at(pilot, app, plan)
        await pilot.press("ctrl+s")
        speaks = case.sends is None or bool(case.sends)
        if speaks:
            await until(pilot, lambda: shows_received_bytes(app), "the first bytes on screen")
        else:
            await until(pilot, lambda: status(app).state is State.RECEIVING, "the connection")
        await pilot.press("escape")
        assert status(app).state is State.CANCELLED  # at once, before the engine returns
        await until(pilot, lambda: app.explorer.current is not None, "the cancelled exchange")

        exchange = app.explorer.current
        assert exchange is not None
        assert exchange.stop is StopReason.CANCELLED, exchange.stop_message
        assert status(app).state is State.CANCELLED
        assert status_text(app).startswith(" cancelled ")
        assert sanitize(exchange.stop_message) in status_text(app)
        if speaks:
            kept = b"".join(e.data for e in exchange.of_type(EventType.RECV))
            assert exchange.received == kept != b""
            assert shows_received_bytes(app)
        assert_everything_shown_is_safe(app)
    assert app.return_code in (None, 0)
    hostile_lab.wait_idle(SERVER_GONE)


# ---- memory -------------------------------------------------------------------------


@contextmanager
def traced() -> Iterator[list[int]]:
    """The peak of traced allocations (every thread: the app, the engine, the lab) from
    here on, in the list once the block ends; the app is already up, so its own start
    does not count."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
        peak.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


_RECEIVED = re.compile(r"↓ ([\d,.]+) (MiB|GiB)")


def mib_received(app: SockscopeApp) -> float:
    """What the status line says has arrived, in MiB (0 below one MiB)."""
    match = _RECEIVED.search(status_text(app))
    if match is None:
        return 0.0
    amount = float(match.group(1).replace(",", ""))
    return amount * 1024 if match.group(2) == "GiB" else amount


@pilot_test
async def test_the_whole_firehose_is_counted_while_the_app_holds_the_capture_limit(
    hostile_lab: LabThread, record_property
) -> None:
    plan = send_plan(hostile_lab, case("firehose"))
    app = explorer_for(plan)
    async with app.run_test(size=SIZE) as pilot:
        await set_options(
            pilot,
            app,
            plan,
            capture_limit=CAPTURE_LIMIT,
            idle_timeout=30.0,
            deadline=None,
            capture_file=DISCARD,
        )
        await point_at(pilot, app, plan)
        with traced() as peak:
            exchange = await send_and_wait(pilot, app, "the whole firehose")
        record_property("tracemalloc_peak", peak[0])

        assert exchange.stop is StopReason.PEER_CLOSED, exchange.stop_message
        assert exchange.bytes_in == FIREHOSE_BYTES
        assert len(exchange.received) == CAPTURE_LIMIT
        assert received_badge(app) == "kept 256.0 KiB of 95.4 MiB"
        assert "↓ 95.4 MiB" in status_text(app)
        assert peak[0] < PEAK_LIMIT
        assert_everything_shown_is_safe(app)
    assert app.return_code in (None, 0)


@pilot_test
async def test_a_never_ending_stream_counted_past_the_limit_holds_only_the_limit(
    hostile_lab: LabThread, record_property
) -> None:
    plan = send_plan(hostile_lab, case("never-ending"))
    app = explorer_for(plan)
    async with app.run_test(size=SIZE) as pilot:
        await set_options(
            pilot,
            app,
            plan,
            capture_limit=CAPTURE_LIMIT,
            idle_timeout=None,
            deadline=120.0,
            capture_file=DISCARD,
        )
        await point_at(pilot, app, plan)
        with traced() as peak:
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda: mib_received(app) * 1024 * 1024 >= NEVER_ENDING_READ,
                "64 MiB counted on the status line",
            )
            await pilot.press("escape")
            await until(pilot, lambda: app.explorer.current is not None, "the cancelled exchange")
        record_property("tracemalloc_peak", peak[0])

        exchange = app.explorer.current
        assert exchange is not None
        assert exchange.stop is StopReason.CANCELLED
        assert exchange.bytes_in >= NEVER_ENDING_READ
        assert len(exchange.received) == CAPTURE_LIMIT
        assert received_badge(app).startswith("kept 256.0 KiB of ")
        assert peak[0] < PEAK_LIMIT
        assert_everything_shown_is_safe(app)
    assert app.return_code in (None, 0)
    hostile_lab.wait_idle(SERVER_GONE)


# ---- found on the way -----------------------------------------------------------------


@pilot_test
async def test_a_template_renders_again_for_the_host_and_port_typed_after_it(
    hostile_lab: LabThread,
) -> None:
    plan = send_plan(hostile_lab, case("http-bare-lf"))
    app = explorer_for(plan._replace(target=replace(plan.target, host="localhost", port=80)))
    async with app.run_test(size=SIZE) as pilot:
        editor = app.query_one(RequestEditor)
        assert b"\r\nHost: localhost\r\n" in editor.request_bytes()  # as opened
        for field, value in (("#host", plan.target.host), ("#port", str(plan.target.port))):
            app.query_one(field, Input).focus()
            app.query_one(field, Input).value = ""
            await pilot.press(*value)
        await pilot.pause()
        # The editor still holds what the template rendered: the request follows the
        # target, as `sockscope send` renders it for the same host and port.
        host = f"\r\nHost: {plan.target.host}:{plan.target.port}\r\n".encode()
        assert host in editor.request_bytes()
        assert editor.request_bytes() == plan.request
