"""The four views of one exchange: Sent, Received, Decoded and Headers.

Each pane derives its rows from the Exchange's bytes through core functions and shows
them in a LineView; the border subtitle is the size badge.
"""

from __future__ import annotations

import codecs
import contextlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Select
from textual.worker import get_current_worker

from sockscope.core.analysis import Analysis
from sockscope.core.certificate import (
    certificate_rows,
    peer_certificate,
    session_summary,
    tls_session,
)
from sockscope.core.http import Framing, HttpRequest, HttpResponse
from sockscope.core.http.coding import (
    BodyDecoder,
    DecodedBody,
    charset_of,
    content_codings,
    lays_out,
    media_type,
    pretty_text,
)
from sockscope.core.http.head import Span
from sockscope.core.model import ErrorKind, EventType, Exchange
from sockscope.core.replies import Reply
from sockscope.core.steps import step_outcomes, step_spans
from sockscope.core.views import (
    ENCODINGS,
    HEX_WIDTH,
    HEX_WIDTHS,
    check_encoding,
    goes_on,
    hex_width_for,
    human_bytes,
)
from sockscope.tui.content import (
    DIM_STYLE,
    ERROR_STYLE,
    KEY_STYLE,
    OK_STYLE,
    WARNING_STYLE,
    plain,
    safe,
)
from sockscope.tui.widgets.byte_view import (
    ByteRows,
    ContentLines,
    CursorLineView,
    DecodedLines,
    HexLines,
    Lines,
    LineView,
    NoLines,
    ReprLines,
    Stacked,
    split_encoding,
)

# Cells of a pane's width its badge cannot take: the border's two sides, and a corner
# and a blank on either side of the badge.
BADGE_FRAME = 6
# Decoded bytes one step of the Decoded pane decodes (a few milliseconds of inflating),
# and the time between steps while more is fed than decoded.
DECODE_STEP = 2 * 1024 * 1024
DECODE_INTERVAL = 0.02
# A body laid out (p) in the key's own handler, a millisecond's work; a larger one is laid
# out in a worker thread (7 MB of JSON take a second), the pane saying so meanwhile.
LAID_OUT_AT_ONCE = 64 * 1024


def size_badge(kept: int, total: int) -> str:
    """`1,024 bytes`, or `kept 8.0 MiB of 12.5 MiB` past the capture limit (short enough
    for Received's badge at 120 columns)."""
    if total > kept:
        return f"kept {human_bytes(kept)} of {human_bytes(total)}"
    return human_bytes(total)


class Pane(Vertical, can_focus=False):
    """A titled box; the narrow layout shows one pane at a time (class `-active`)."""

    ALLOW_MAXIMIZE = True  # f2 zooms the pane holding the focus
    # The next and previous match of the find bar's query, as in less.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "app.find_step(True)", "Next match", show=False),
        Binding("N", "app.find_step(False)", "Previous match", show=False),
        # Copy (yank, as in vi): the selection, the current match or linked bytes, else
        # this pane.
        Binding("y", "app.copy('text')", "Copy as text", show=False),
    ]

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = self._title = title
        self._badge = ""
        # The badge as the pane set it (before the selection's size), then shorter forms.
        self._given: tuple[str, ...] = ("",)
        # The parts the cursor's row is of (Received), longest name first: may quote the
        # server.
        self.named: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self._title

    @property
    def copyable(self) -> bytes | memoryview | None:
        """The bytes a copy of the whole pane takes, as the pane holds them (a copy is
        made only of what goes out); None for a pane of text (Headers)."""
        return None

    def show_zoomed(self, zoomed: bool) -> None:
        """Zoomed (f2), the title names the way back."""
        self.border_title = f"{self._title} · f2 or escape: back" if zoomed else self._title

    def set_badge(self, badge: str, *shorter: str) -> None:
        """The border subtitle: `badge`, or in a pane too narrow for it (with what the
        pane adds: the part named, the selection, wrapping), the first of the `shorter`
        forms that fits, else the shortest (Textual cuts it with an ellipsis)."""
        self._given = (badge, *shorter)
        self._fit_badge()

    def _fit_badge(self) -> None:
        # A part named keeps its name before the badge its size (the status line has it).
        forms = [
            self._with_notes(form, named)
            for named in self.named or ("",)
            for form in (*self._given, *(("",) if named else ()))
        ]
        room = self.outer_size.width - BADGE_FRAME
        badge = next((form for form in forms if cell_len(form) <= room), forms[-1])
        # Textual repaints the whole box on every assignment, even of the same text, and
        # a streaming exchange redraws ~10 times a second.
        if badge != self._badge:
            self._badge = badge
            # A part's name may be the server's (a header's): Content, never markup.
            self.border_subtitle = safe(badge, one_line=True)

    def _with_notes(self, badge: str, named: str) -> str:
        view = next(iter(self.query(LineView)), None) if self.is_mounted else None
        if view is not None and view.wrap:
            badge = f"{badge} · {'wrapped' if view.wraps else 'too long to wrap'}"
        if named:
            badge = f"{named} · {badge}" if badge else named
        if view is not None and view.selection is not None:
            badge = " · ".join(part for part in (view.selection_note, badge) if part)
        return badge

    @on(events.Resize)
    def _refit_badge(self) -> None:
        if len(self._given) > 1 or self.named:
            self._fit_badge()

    @on(LineView.SelectionChanged)
    def _selection_changed(self, message: LineView.SelectionChanged) -> None:
        message.stop()
        self._fit_badge()


def pane_of(widget: Widget | None) -> Pane | None:
    """The pane `widget` is in (or is), if any."""
    if widget is None:
        return None
    return next((node for node in widget.ancestors_with_self if isinstance(node, Pane)), None)


def new_rows_note(view: LineView, live: bool) -> str:
    """` · ↓ 1,204 new` while bytes arrive below where the user scrolled up to."""
    new = view.new_rows if live else 0
    return f" · ↓ {new:,} new (End follows)" if new else ""


class SentPane(Pane):
    """The repr and hex dump of the bytes sent; hex rows of 16, 8 or 4 bytes, the widest
    that fits the pane (chosen again whenever the pane is resized).

    Listen mode shows a client's bytes the same way: a subclass picks other bytes
    (`data_of`), badge and empty messages."""

    # Shown without an exchange, and for an exchange with no bytes in this direction.
    EMPTY: tuple[str, str] = ("nothing sent yet", "nothing was sent")

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self._exchange: Exchange | None = None
        self.per_row = 0
        self._shown: tuple[bytes, int, bool] | None = None  # (bytes, per_row, no exchange)

    def compose(self) -> ComposeResult:
        yield LineView(id=f"{self.id}-view")

    def data_of(self, exchange: Exchange) -> bytes:
        return exchange.sent

    @property
    def data(self) -> bytes:
        """The bytes the pane shows."""
        return self._shown[0] if self._shown is not None else b""

    @property
    def copyable(self) -> bytes | memoryview | None:
        return self.data

    def badge(self, exchange: Exchange) -> str:
        return human_bytes(exchange.bytes_out)

    def empty_text(self, exchange: Exchange | None) -> str:
        """What the pane says without bytes: a datagram of 0 bytes was still sent (the
        timeline shows `send 0`)."""
        if exchange is None:
            return self.EMPTY[0]
        if exchange.target.transport.is_datagram and any(exchange.of_type(EventType.SEND)):
            return "an empty datagram was sent (0 bytes)"
        return self.EMPTY[1]

    def show(self, exchange: Exchange | None) -> None:
        self._exchange = exchange
        view = self.query_one(LineView)
        data = b"" if exchange is None else self.data_of(exchange)
        per_row = fitting_hex_width(self) if data else 0
        # While an exchange streams in, the bytes sent rarely change: keep their rows.
        shown = (data, per_row, exchange is None)
        if shown != self._shown:
            self._shown = shown
            if not data:
                view.show(NoLines(self.empty_text(exchange)))
            else:
                hex_lines = HexLines(data, per_row)
                self.per_row = hex_lines.per_row
                # The repr first: a request's lines read at a glance above its dump.
                view.show(Stacked(("repr", ReprLines(ByteRows.of(data))), ("hex", hex_lines)))
        self.set_badge("" if exchange is None else self.badge(exchange))

    def on_resize(self) -> None:
        if self._exchange is not None and fitting_hex_width(self) != self.per_row:
            self.show(self._exchange)


def fitting_hex_width(pane: Pane, widths: tuple[int, ...] = HEX_WIDTHS) -> int:
    """The bytes a hex row of `pane`'s view holds: the most of `widths` that fit its
    width, else the fewest."""
    view = pane.query_one(LineView)
    if not view.size.width:
        return HEX_WIDTH  # not laid out yet; the first resize chooses again
    # Room for the vertical scrollbar is kept whether it shows or not, so the choice
    # cannot flip it on and off (narrower rows mean more of them).
    return hex_width_for(view.size.width - view.styles.scrollbar_size_vertical, widths)


class ReceivedPane(Pane):
    """Every received byte as repr rows, or (`x`) as a hex dump. Its rows have a cursor:
    moved by keys or a click, it asks which part of the parsed reply its row's first byte
    belongs to (`Pointed`); the badge then names it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_hex", "hex / repr", show=False),
    ]

    class Pointed(Message):
        """The cursor is on a row of bytes `start` to `end`."""

        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start = start
            self.end = end

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.hex = False  # rows of the hex dump rather than repr lines
        self._exchange: Exchange | None = None
        self._rows = ByteRows(b"")
        self._live = False
        # What the view shows: (index, bytes indexed, empty message, hex bytes a row).
        # Past the capture limit only the counters move, and a redraw leaves it alone.
        self._shown: tuple[ByteRows, int, str, int] | None = None

    def compose(self) -> ComposeResult:
        yield CursorLineView(id="received-view")

    @property
    def copyable(self) -> bytes | memoryview | None:
        return self._rows.data

    def show(self, exchange: Exchange | None, rows: ByteRows, *, live: bool = False) -> None:
        self._exchange, self._rows, self._live = exchange, rows, live
        view = self.query_one(LineView)
        empty = (
            ""
            if rows.data
            else "ctrl+s sends; replies go here"
            if exchange is None
            else "waiting for the server…"
            if live
            else "nothing received"
        )
        per_row = fitting_hex_width(self) if self.hex else 0
        shown = (rows, len(rows.data), empty, per_row)
        if shown != self._shown:
            if self._shown is None or rows is not self._shown[0]:
                view.follow()  # other bytes: a new capture starts at its end again
                self.named = ()
            self._shown = shown
            if empty:
                view.show(NoLines(empty), follow=live)
            elif per_row:
                view.show(HexLines(rows.data, per_row, items=rows), follow=live)
            else:
                view.show(ReprLines(rows), follow=live)
        size = "" if exchange is None else size_badge(len(rows.data), exchange.bytes_in)
        hex_note = " · hex" if size and self.hex else ""
        self.set_badge(size + hex_note + new_rows_note(view, live))

    def action_toggle_hex(self) -> None:
        """Between repr and hex rows; the cursor and the top row stay on their bytes."""
        view = self.query_one(CursorLineView)
        lines = view.lines
        top = first_byte(lines, view.scroll_offset.y)
        cursor = None if view.cursor is None else first_byte(lines, view.cursor)
        self.hex = not self.hex
        self.show(self._exchange, self._rows, live=self._live)
        lines = view.lines
        if top is not None and not (self._live and view.following):
            # Once the view has its new height, which a shorter source gets on layout.
            row = lines.row_of(top) or 0
            view.call_after_refresh(view.scroll_to, y=row, animate=False, immediate=True)
        if cursor is not None:
            view.cursor = lines.row_of(cursor)
            view.refresh()

    def name_parts(self, *names: str) -> None:
        """Say in the badge which parts the cursor's row belongs to (`part_names`)."""
        self.named = names
        self._fit_badge()

    def on_click(self, event: events.Click) -> None:
        view = self.query_one(CursorLineView)
        offset = event.get_content_offset(view)
        if offset is not None:
            view.move_to(view.scroll_offset.y + offset.y)

    @on(CursorLineView.Moved)
    def _moved(self, message: CursorLineView.Moved) -> None:
        message.stop()
        lines = self.query_one(LineView).lines
        span = lines.row_span(message.row) if lines.in_bytes else None
        if span is not None:
            self.post_message(self.Pointed(*span))

    def on_resize(self) -> None:
        if self.hex and self._shown is not None and self._shown[3] != fitting_hex_width(self):
            self.show(self._exchange, self._rows, live=self._live)


def first_byte(lines: Lines, row: int) -> int | None:
    """The first byte row `row` of a byte source shows; None for a row of none."""
    span = lines.row_span(row) if lines.in_bytes else None
    return None if span is None else span[0]


class DecodedPane(Pane):
    """The received bytes as text in the chosen encoding; for an HTTP response with a
    Content-Encoding, its body decoded instead (the badge names the chain), and the
    charset its Content-Type names picks the encoding. `p` lays out a JSON or XML body.

    A coded body is decoded while it arrives: each redraw feeds the decoder the body's
    new bytes, and a step decodes at most DECODE_STEP bytes, the rest in later steps
    between frames, so a body that inflates to megabytes never holds up the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pretty", "pretty JSON/XML", show=False),
        Binding("w", "wrap", "Wrap", show=False),
    ]

    class Shown(Message):
        """The view shows other bytes than before (not merely more of them while an
        exchange streams in): a find over this pane searches them."""

        def __init__(self, pane: DecodedPane) -> None:
            super().__init__()
            self.pane = pane

        @property
        def control(self) -> DecodedPane:
            return self.pane

    class LaidOut(Message):
        """The layout of `of` (a `_layout_key`) is made: `laid_out`, or None when the
        body does not parse."""

        def __init__(self, of: tuple[object, ...], laid_out: bytes | None) -> None:
            super().__init__()
            self.of = of
            self.laid_out = laid_out

    def action_wrap(self) -> None:
        self.query_one(LineView).toggle_wrap()
        self._draw()

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self._raw: bytes | memoryview = b""
        self._raw_rows: ByteRows | None = None  # the index of _raw the caller built
        self._rows = ByteRows(b"")
        self._shown: tuple[ByteRows, int, str] | None = None  # (index, bytes, encoding)
        self._live = False
        # The message whose body is shown (None: the bytes as they came), what tells it
        # from the next one (its headers and framing), its body's decoder and decoding
        # so far, whether that is all of it, its media type, whether it is laid out.
        self._response: HttpResponse | HttpRequest | None = None
        self._message: tuple[tuple[tuple[str, str], ...], Framing] | None = None
        self._decoder: BodyDecoder | None = None
        self._body: DecodedBody | None = None
        self._ended = False
        self._stepping = False  # a later step is due: bytes fed wait to be decoded
        self._published = 0  # the decoded size last shown
        self._media = ""
        self.pretty = False
        self.shows_body = False  # the view shows a body decoded or laid out, not the bytes
        # The layout p asks for, made by a worker thread: what it is of (the message, its
        # decoded body, the encoding), whether it is still being made, and the result
        # (None: the body does not parse). `_answer_owed`: p waits to hear why not.
        self._layout_of: tuple[object, ...] = ()
        self._laying_out = False
        self._layout: bytes | None = None
        self._answer_owed = False

    def compose(self) -> ComposeResult:
        yield Select(
            [(name, name) for name in ENCODINGS],
            value=ENCODINGS[0],
            allow_blank=False,
            id="encoding",
            compact=True,
        )
        yield LineView(id="decoded-view")

    @property
    def encoding(self) -> str:
        value = self.query_one("#encoding", Select).value
        return value if isinstance(value, str) else ENCODINGS[0]

    def show(
        self, data: bytes | memoryview, *, live: bool = False, rows: ByteRows | None = None
    ) -> None:
        """`rows`: the index of `data` another view built, used when it is split the way
        this encoding needs (UTF-16 ends a row at an encoded LF, the rest at an LF byte).
        Bytes that go on from those shown keep the message and its decoding (`show_http`
        feeds it what is new); other bytes start without."""
        if self._message is not None and data is not self._raw:
            # An index carried over to `data` (ByteRows.of) says the bytes go on: no
            # need to compare megabytes again.
            carried = rows is not None and rows is self._raw_rows
            if not carried and not goes_on(data, self._raw):
                self._response = self._message = self._decoder = self._body = None
                self._stop_laying_out()
        self._raw, self._raw_rows = data, rows
        self._live = live
        self._draw(rows)

    def show_http(self, response: HttpResponse | HttpRequest, *, live: bool = False) -> None:
        """After `show`: a new message's charset picks the encoding, and a coded body is
        shown decoded (a response's; in Listen, a request's), as far as it has arrived
        while `live`. The same message again keeps what is shown."""
        if response is self._response:
            return
        self._response = response
        message = (tuple(response.headers), response.framing)
        if message != self._message:
            self._message = message
            self._decoder, self._published = None, 0
            if content_codings(response.headers):
                chunked = response.framing is Framing.CHUNKED
                self._decoder = BodyDecoder(response.headers, chunked=chunked)
            self._media = media_type(response.headers)
            charset = charset_of(response.headers)
            if charset is not None and charset != codecs.lookup(self.encoding).name:
                # A charset the selector does not offer leaves the chosen one; else
                # Select.Changed follows and draws in the new encoding.
                with contextlib.suppress(ValueError):
                    self.query_one("#encoding", Select).value = check_encoding(charset)
        self._ended = not live or response.complete
        decoder = self._decoder
        if decoder is None:
            self._body = None
            self._draw()
            return
        body = body_bytes(response, self._raw)
        decoder.feed(bytes(body[decoder.fed :]))  # only what is new: the decoder queues it
        if not self._stepping:
            self._decode_step()

    def _decode_step(self) -> None:
        """Decode some of what was fed and show it; a later step goes on with the rest.
        Showing copies the whole body decoded so far, so while steps go on it is shown
        each time its size has doubled: the copies add up to twice the body, not to
        its square."""
        decoder = self._decoder
        if decoder is None:
            self._stepping = False
            return
        self._stepping = more = decoder.run(DECODE_STEP)
        if more:
            self.set_timer(DECODE_INTERVAL, self._decode_step)
            if decoder.size < 2 * self._published:
                return
        self._published = decoder.size
        self._body = decoder.result(ended=self._ended and not more) if decoder.fed else None
        self._draw()

    def _content(self) -> tuple[bytes | memoryview, list[str]]:
        """What the view shows (the bytes as they came, or the body decoded and perhaps
        laid out) and what the badge says of it before the encoding, longest first."""
        body = self._body
        leads = [] if body is None else _body_leads(body)
        shown = self._raw if body is None else body.data
        # Laid out once it has all arrived: a document is parsed whole.
        if self.pretty and self._response is not None and lays_out(self._media):
            leads = leads or ["body"]
            if self._live:
                return shown, [f"{lead}, laid out once it has all arrived" for lead in leads]
            of = (self._response, body, self.encoding)
            if len(of) != len(self._layout_of) or any(map(operator.is_not, of, self._layout_of)):
                self._layout_of = of
                source = body_bytes(self._response, self._raw) if body is None else body.data
                self._laying_out = len(source) > LAID_OUT_AT_ONCE
                if self._laying_out:
                    self._layout = None
                    self._lay_out(of, source, self._media, self.encoding)
                else:
                    self._layout = pretty_text(source, self._media, self.encoding)
            if self._laying_out:
                return shown, [f"{lead}, laying out…" for lead in leads]
            if self._layout is not None:
                return self._layout, [f"{lead}, laid out" for lead in leads]
        return shown, leads

    @work(thread=True, exclusive=True, group="layout", exit_on_error=False)
    def _lay_out(
        self, of: tuple[object, ...], source: bytes | memoryview, media: str, encoding: str
    ) -> None:
        """A layout of megabytes takes a second: made here, the keys stay answered."""
        laid_out = None
        try:
            laid_out = pretty_text(source, media, encoding)
        finally:
            if not get_current_worker().is_cancelled:
                self.post_message(self.LaidOut(of, laid_out))

    def _stop_laying_out(self) -> None:
        """Another exchange is shown: the layout being made is of no use."""
        self.workers.cancel_group(self, "layout")
        self._layout_of, self._laying_out, self._layout = (), False, None

    @on(LaidOut)
    def _laid_out(self, message: LaidOut) -> None:
        message.stop()
        if message.of is not self._layout_of:
            return  # made for what was shown before
        self._laying_out, self._layout = False, message.laid_out
        self._draw()
        if self._answer_owed:
            self._answer_owed = False
            self._say_why_not_laid_out()

    def _draw(self, rows: ByteRows | None = None) -> None:
        encoding = self.encoding
        data, notes = self._content()
        split = split_encoding(encoding)
        previous = self._rows
        if rows is not None and rows.data is data and rows.encoding == split:
            self._rows = rows
        else:
            # Grows with a streaming reply like the Received pane's.
            self._rows = ByteRows.of(data, self._rows, split)
        self.shows_body = bool(notes)
        shown = (self._rows, len(data), encoding)
        if shown != self._shown:  # unchanged bytes (past the capture limit): nothing to do
            self._shown = shown
            if not self._live:
                self.post_message(self.Shown(self))
            view = self.query_one(LineView)
            if self._rows is not previous:
                view.follow()  # not the same bytes grown: start at the end again
            if not data:
                view.show(NoLines())
            else:
                follow = self._live or self._stepping  # the last steps come after the end
                view.show(DecodedLines(self._rows, encoding), follow=follow)
        note_new = new_rows_note(self.query_one(LineView), self._live)
        # Narrower, the encoding goes before the size: the selector above the text names it.
        forms = [f"{note} · {encoding}" for note in notes[:2]] + notes[1:] or [encoding]
        self.set_badge(*(form + note_new for form in forms))

    @property
    def shown_bytes(self) -> bytes | memoryview:
        """The bytes the view shows: the received ones, or the body decoded."""
        return self._rows.data

    @property
    def copyable(self) -> bytes | memoryview | None:
        return self.shown_bytes

    def action_pretty(self) -> None:
        self.pretty = not self.pretty
        self._draw()
        self._answer_owed = self.pretty and self._laying_out
        if self.pretty and not self._laying_out:
            self._say_why_not_laid_out()

    def _say_why_not_laid_out(self) -> None:
        if "laid out" not in str(self.border_subtitle):
            # Nothing changed on screen: say why rather than leave the key unanswered.
            what = self._media or "not an HTTP body"
            if lays_out(self._media):
                what = f"{what} that does not parse"
            self.app.bell()
            self.app.notify(
                f"p lays out a JSON or XML body that parses; this one is {what}",
                severity="warning",
            )

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._draw()


def _body_leads(body: DecodedBody) -> list[str]:
    """What the Decoded badge says of a decoded body, longest first: `body: chunked →
    gzip, 75 bytes`, then without what Headers' framing row shows (`gzip, 75 bytes`),
    then without the size (`gzip`); any problem after each."""
    codings = " → ".join(coding for coding in body.chain if coding != "chunked") or "body"
    problem = f"; {body.problem}" if body.problem else ""
    size = human_bytes(len(body.data))
    return [f"body: {body.summary()}", f"{codings}, {size}{problem}", f"{codings}{problem}"]


@dataclass(frozen=True)
class Field:
    """The received bytes a Headers row stands for, and their name (`header 2 (Host)`),
    which may quote the server: shown through `safe` only; `short`, a shorter name for
    where room is scarce (`header 2`)."""

    name: str
    span: Span
    short: str = ""


def part_names(parts: Sequence[Field]) -> tuple[str, ...]:
    """What Received's badge calls the parts a row's bytes belong to, longest first:
    `header 3 (Host) … body` (the first byte's and the last's), then by short names."""
    if not parts:
        return ()
    names = " … ".join(part.name for part in parts)
    short = " … ".join(part.short or part.name for part in parts)
    return (names, short) if short != names else (names,)


# A Headers row and the bytes it links to (None: a row of no bytes).
Entry = tuple[Content, Field | None]


class HeadersPane(Pane):
    """The parsed head. Its rows have a cursor: on a row that stands for received bytes
    (the status line, a header, the body, a chunk size line, a reply line, a step) those
    bytes are highlighted in Received and Decoded (`Linked`). A row too long for the pane
    is folded under itself; `w` cuts the rows at the edge instead (one row per entry,
    scrolled sideways), and back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("w", "wrap", "Wrap", show=False)]

    class Linked(Message):
        """The cursor names these received bytes (None: a row of no bytes)."""

        def __init__(self, span: Span | None) -> None:
            super().__init__()
            self.span = span

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.entries: list[Content] = []  # each a row before folding to the pane's width
        self._entry_fields: list[Field | None] = []  # the bytes of each entry, if any
        self._fields: list[Field | None] = []  # the same, of each row on screen
        self._folded_to = 0  # the width the rows were folded to
        self.folding = True  # rows folded at the pane's width, else cut at its edge
        self._entry_of: list[int] = []  # the entry each row on screen shows
        self._kind = ""  # the badge: what the rows are (tls, steps, http...)

    def compose(self) -> ComposeResult:
        yield CursorLineView(id="headers-view")

    def show_parsing(self, size: int) -> None:
        self.entries, self._entry_fields, self._fields, self._entry_of = [], [], [], []
        self.query_one(LineView).show(NoLines(f"parsing {human_bytes(size)}…"))
        self.set_badge("")

    def show(
        self,
        exchange: Exchange | None,
        analysis: Analysis | None,
        received: bytes | memoryview = b"",
    ) -> None:
        """`received`: the bytes parsed, which chunk size rows quote and steps' replies
        are found in."""
        view = self.query_one(LineView)
        tls = tls_rows(exchange) if exchange is not None else []
        steps = step_entries(exchange, len(received)) if exchange is not None else []
        self.entries, self._entry_fields, self._fields, self._entry_of = [], [], [], []
        if analysis is None and not tls and not steps:
            view.show(NoLines("headers go here" if exchange is None else "nothing received"))
            self.set_badge("")
            return
        entries: list[Entry]
        if analysis is None:
            entries = [(plain("nothing received", DIM_STYLE), None)]
            kind = ""
        elif analysis.http is not None:
            entries = http_entries(analysis.http, received)
            kind = "http"
        elif analysis.protocol is not None:
            entries = reply_entries(analysis.replies)
            kind = analysis.protocol
        else:
            entries = [(plain("raw bytes: no parser applies", DIM_STYLE), None)]
            kind = "raw"
        entries = [(row, None) for row in tls] + steps + entries
        self.entries = [row for row, _ in entries]
        self._entry_fields = [field for _, field in entries]
        self._kind = " · ".join(
            part for part in ("tls" if tls else "", "steps" if steps else "", kind) if part
        )
        self._fold()

    def _width(self) -> int:
        view = self.query_one(LineView)
        return view.size.width - view.styles.scrollbar_size_vertical

    def _fold(self) -> None:
        """Show the entries folded to the pane's width: a long header or verdict is read
        in full, not cut at the border."""
        self._folded_to = width = self._width()
        view = self.query_one(CursorLineView)
        # The cursor stays on its entry, wherever the entry's first row is now.
        before = self._entry_of
        entry = (
            before[view.cursor] if view.cursor is not None and view.cursor < len(before) else None
        )
        rows, entries, firsts, joins = fold_rows(self.entries, width if self.folding else 0)
        fields = self._entry_fields
        self._fields = [fields[entry] for entry in entries]
        self._entry_of = entries
        view.show(ContentLines(rows, firsts, joins))
        if entry is not None and entry in entries:
            view.cursor = entries.index(entry)
        self.set_badge(self._kind if self.folding else f"{self._kind} · cut")

    def action_wrap(self) -> None:
        self.folding = not self.folding
        if self.entries:
            self._fold()

    def on_resize(self) -> None:
        if self.entries and self.folding and self._width() != self._folded_to:
            self._fold()

    def span_of(self, row: int) -> Span | None:
        field = self._fields[row] if 0 <= row < len(self._fields) else None
        return None if field is None else field.span

    def fields_of(self, start: int, end: int) -> list[tuple[int, Field]]:
        """The rows and fields of bytes `start` and `end - 1` (a row of Received): one
        when both are of the same, none when neither is of any."""
        first, last = self.field_at(start), self.field_at(end - 1)
        if first is not None and last is not None and first[0] == last[0]:
            return [first]
        return [found for found in (first, last) if found is not None]

    def field_at(self, offset: int) -> tuple[int, Field] | None:
        """The row whose bytes hold byte `offset` (the narrowest: a chunk size line, not
        the body around it; a reply line, not the step that waited for it) and its field."""
        best: tuple[int, Field] | None = None
        for row, field in enumerate(self._fields):
            if field is None or not field.span[0] <= offset < field.span[1]:
                continue
            if best is None or field.span[1] - field.span[0] < best[1].span[1] - best[1].span[0]:
                best = (row, field)
        return best

    def point_at(self, row: int) -> None:
        """Put the cursor on `row` (chosen in Received, whose bytes are linked already)."""
        self.query_one(CursorLineView).move_to(row, announce=False)

    @on(CursorLineView.Moved)
    def _moved(self, message: CursorLineView.Moved) -> None:
        message.stop()
        self.post_message(self.Linked(self.span_of(message.row)))


# Folded rows go on under their first row's text, indented by this much.
FOLD_INDENT = 2


class Folded(NamedTuple):
    rows: list[Content]
    entry_of: list[int]  # the entry each row shows
    first_of: list[int]  # the first row of that entry
    joins: list[str]  # what joins each row to the one before in a copy (ContentLines)


def fold_rows(entries: list[Content], width: int) -> Folded:
    """`entries` wrapped to `width` cells at spaces (a word too long for a row is cut),
    each continuation indented (width 0: each entry one row, as it is). A copy of the
    rows gives the entries back: a continuation is joined by the spaces it broke at."""
    folded = Folded([], [], [], [])
    rows = folded.rows
    for index, entry in enumerate(entries):
        first = len(rows)
        indent, room, join = "", width, "\n"
        while room > 0:
            head = entry.wrap(room)[0]
            rows.append(Content(indent) + head)
            folded.joins.append(join)
            # Wrapping drops the spaces a row breaks at; the rest starts after them.
            rest = entry[len(head.plain) :]
            entry = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
            if not entry.plain:
                break
            join = rest.plain[: len(rest.plain) - len(entry.plain)]
            indent, room = " " * FOLD_INDENT, width - FOLD_INDENT
        else:
            rows.append(entry)  # no room yet (before layout): one row, as it is
            folded.joins.append(join)
        folded.entry_of.extend([index] * (len(rows) - first))
        folded.first_of.extend([first] * (len(rows) - first))
    return folded


def step_entries(exchange: Exchange, kept: int) -> list[Entry]:
    """Each dialogue step's outcome (✓ or ✗ and its sentence, which may quote the
    server) linked to the reply it waited for in the `kept` received bytes, then a blank
    row; nothing for an exchange that was not a dialogue."""
    outcomes = step_outcomes(exchange)
    if not outcomes:
        return []
    entries: list[Entry] = [(plain("steps", "bold $text-primary"), None)]
    for outcome, span in zip(outcomes, step_spans(outcomes, kept), strict=True):
        style = OK_STYLE if outcome.ok else ERROR_STYLE
        row = Content.assemble(
            plain(f"  {'✓' if outcome.ok else '✗'} {outcome.number:>2} ", f"bold {style}"),
            safe(outcome.message, style if not outcome.ok else "", 400, one_line=True),
        )
        entries.append((row, None if span is None else Field(f"step {outcome.number}", span)))
    entries.append((Content(""), None))
    return entries


def tls_rows(exchange: Exchange) -> list[Content]:
    """The TLS session and the peer certificate (also the one a failed verification
    rejected, with the reason and the hint), then a blank row; nothing without TLS."""
    session = tls_session(exchange)
    certificate = peer_certificate(exchange)
    if session is None and certificate is None:
        return []
    rows: list[Content] = []
    if session is not None:
        style = OK_STYLE if session.get("verified") else WARNING_STYLE
        rows.append(
            Content.assemble(
                plain("TLS      ", KEY_STYLE), safe(session_summary(session), style, one_line=True)
            )
        )
    error = exchange.error
    if error is not None and error.kind is ErrorKind.TLS_VERIFY:
        rows.append(
            Content.assemble(
                plain("✗ rejected ", f"bold {ERROR_STYLE}"),
                safe(error.message, ERROR_STYLE, 400, one_line=True),
            )
        )
        if error.hint:
            rows.append(safe(f"  {error.hint}", DIM_STYLE, 400, one_line=True))
    if certificate is not None:
        rows.append(plain("certificate", "bold $text-primary"))
        for label, value in certificate_rows(certificate):
            style = WARNING_STYLE if label in ("note", "problem") else ""
            rows.append(
                Content.assemble(
                    plain(f"  {label:<8} ", KEY_STYLE), safe(str(value), style, 400, one_line=True)
                )
            )
    rows.append(Content(""))
    return rows


_SEVERITY_STYLE = {"error": ERROR_STYLE, "warning": WARNING_STYLE, "info": DIM_STYLE}
_SEVERITY_MARK = {"error": "✗ ", "warning": "! ", "info": "· "}


def _status_style(status: int | None) -> str:
    if status is None or status >= 400:
        return f"bold {ERROR_STYLE}"
    if status >= 300:
        return f"bold {WARNING_STYLE}"
    return f"bold {OK_STYLE}"


# Chunk size lines listed in the Headers pane: each is a row to fold, and a body may have
# thousands; past these the body's row stands for them.
MAX_CHUNK_ROWS = 1_000


def http_entries(response: HttpResponse, received: bytes | memoryview) -> list[Entry]:
    """Status line, one row per header, the framing verdict (the body), each chunk size
    line (quoted from `received`), then each problem; each linked to its bytes."""
    spans = response.spans
    status = "" if response.status is None else str(response.status)
    entries: list[Entry] = [
        (
            Content.assemble(
                safe(response.version, "bold", one_line=True),
                " ",
                plain(status, _status_style(response.status)),
                " ",
                safe(response.reason, _status_style(response.status), one_line=True),
            ),
            None if spans.status_line is None else Field("status line", spans.status_line),
        )
    ]
    for index, row in enumerate(header_rows(response.headers)):
        span = spans.headers[index] if index < len(spans.headers) else None
        name = f"header {index + 1} ({response.headers[index][0]})"
        field = None if span is None else Field(name, span, f"header {index + 1}")
        entries.append((row, field))
    entries.append((Content(""), None))
    framing, *problems = framing_rows(response)
    entries.append((framing, None if spans.body is None else Field("body", spans.body)))
    entries += chunk_entries(spans.chunk_lines, received)
    entries += [(row, None) for row in problems]
    return entries


def chunk_entries(lines: list[Span], received: bytes | memoryview) -> list[Entry]:
    """A row for each chunk size line (the first MAX_CHUNK_ROWS), quoting it when the
    received bytes are at hand, linked to its bytes."""
    entries: list[Entry] = []
    for index, span in enumerate(lines[:MAX_CHUNK_ROWS]):
        text = bytes(received[span[0] : span[1]]).rstrip(b"\r\n").decode("latin-1")
        row = Content.assemble(
            plain(f"  chunk {index + 1:<4} ", KEY_STYLE), safe(text, "", 80, one_line=True)
        )
        entries.append((row, Field(f"chunk size line {index + 1}", span)))
    if len(lines) > MAX_CHUNK_ROWS:
        more = f"  … and more chunk size lines: the first {MAX_CHUNK_ROWS:,} are listed"
        entries.append((plain(more, DIM_STYLE), None))
    return entries


def header_rows(headers: list[tuple[str, str]]) -> list[Content]:
    """`Name: value`, one row per header (a request's or a response's)."""
    return [
        Content.assemble(safe(name, KEY_STYLE, one_line=True), ": ", safe(value, one_line=True))
        for name, value in headers
    ]


def _spared(message: HttpResponse | HttpRequest) -> Span | None:
    """Where the body is in the received bytes when the analysis left it out of
    `body` (analyse(body=False) spares copying a body that is one span of them)."""
    if message.body or not isinstance(message, HttpResponse):
        return None
    return message.spans.body if message.framing is not Framing.CHUNKED else None


def body_bytes(
    message: HttpResponse | HttpRequest, received: bytes | memoryview
) -> bytes | memoryview:
    """The body as it came (chunked ones de-chunked), from `received` if spared."""
    span = _spared(message)
    return message.body if span is None else received[span[0] : span[1]]


def body_size(message: HttpResponse | HttpRequest) -> int:
    span = _spared(message)
    return len(message.body) if span is None else span[1] - span[0]


def framing_rows(message: HttpResponse | HttpRequest) -> list[Content]:
    """The framing verdict, then each problem the parser named (its message names the
    line it is on, as the text report shows it)."""
    state = "complete" if message.complete else "incomplete"
    rows = [
        plain(
            f"framing {message.framing} · {state} · body {human_bytes(body_size(message))}",
            DIM_STYLE,
        )
    ]
    for problem in message.problems:
        style = _SEVERITY_STYLE.get(problem.severity, ERROR_STYLE)
        rows.append(
            Content.assemble(
                plain(_SEVERITY_MARK.get(problem.severity, "✗ "), style),
                safe(problem.message, style, one_line=True),
            )
        )
    return rows


def reply_rows(replies: list[Reply]) -> list[Content]:
    """Each reply code, then its lines (SMTP/FTP/POP3/IMAP/NNTP dialogues)."""
    return [row for row, _ in reply_entries(replies)]


def reply_entries(replies: list[Reply]) -> list[Entry]:
    """`reply_rows`, each line linked to its bytes, and `(incomplete)` to the reply's."""
    if not replies:
        return [(plain("no complete reply yet", DIM_STYLE), None)]
    entries: list[Entry] = []
    for number, reply in enumerate(replies, 1):
        code = safe(f"{reply.code or '···':<5}", KEY_STYLE, one_line=True)
        name = f"reply {number}" + (f" ({reply.code})" if reply.code else "")
        for index, line in enumerate(reply.lines or [""]):
            prefix = code if index == 0 else plain(" " * 5)
            span = reply.line_spans[index] if index < len(reply.line_spans) else reply.span
            part = f"{name}, line {index + 1}" if len(reply.lines) > 1 else name
            field = None if span is None else Field(part, span)
            entries.append((Content.assemble(prefix, safe(line, one_line=True)), field))
        if not reply.complete:
            field = None if reply.span is None else Field(name, reply.span)
            entries.append((plain("      (incomplete)", WARNING_STYLE), field))
    return entries
