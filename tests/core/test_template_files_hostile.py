"""User template files are untrusted: a shared directory may hold anything.

A file that fails for any reason is named in one display-safe line and skipped; every
other file and every built-in still loads, and nothing raises.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sockscope.core.model import ReadPolicy
from sockscope.core.templates import (
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_FILE,
    MAX_TEMPLATE_FILES,
    TemplateError,
    builtin_templates,
    load_templates,
    parse_template_file,
)
from tests.hostile.template_files import write_hostile_templates

BUILTINS = builtin_templates()
GOOD = 'title = "fine"\npayload = "ok\\r\\n"\n'
DEEP = 100_000  # far past the nesting tomllib can read without a RecursionError


def _unsafe(text: str) -> set[str]:
    """Characters a terminal may act on, or that break a line: all but printable text."""
    return {ch for ch in text if not ch.isprintable() and unicodedata.category(ch) != "Zs"}


def _load_beside_a_good_file(tmp_path: Path, name: str, content: bytes) -> tuple[set[str], str]:
    """Load `name` (holding `content`) next to good.toml: the names loaded, and the one
    problem, which must name the bad file."""
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / name).write_bytes(content)
    templates, problems = load_templates(tmp_path)
    assert "good" in templates
    assert set(BUILTINS) <= set(templates)
    assert len(problems) == 1, problems
    return set(templates), problems[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"port = \n", "is not valid TOML: "),
        (b'title = "unclosed\n', "is not valid TOML: "),
        (b"x = " + b"[" * DEEP + b"]" * DEEP + b"\n", "is nested too deeply to read as TOML"),
        (b"x = " + b"{a = " * DEEP + b"1" + b"}" * DEEP + b"\n", "is nested too deeply"),
        (b'title = "caf\xe9"\n', "is not UTF-8 text (a bad byte at offset 12)"),
        (b"\xff\xfe" + 'title = "x"'.encode("utf-16-le"), "is not UTF-8 text"),
        (b"title = 5\n", "title: must be a string, got 5"),
        (b"title = [1, 2]\n", "title: must be a string, got a list of 2"),
        (b"title = {a = 1}\n", "title: must be a string, got a table"),
        (b"payload = 1979-05-27\n", "payload: must be a string, got datetime.date(1979, 5, 27)"),
        (b"port = [80]\n", "port: must be a number, got a list of 1"),
        (b'port = "' + b"9" * 5000 + b'"\n', "port: must be a number, got 5,000 characters"),
        (b'max_bytes = "' + b"9" * 5000 + b'"\n', "max_bytes: must be a number, got 5,000"),
        (b'idle_timeout = "' + b"1" * 5000 + b'"\n', "idle_timeout: must be a number, got"),
        (b"idle_timeout = inf\n", "idle_timeout: inf is over 1,000,000,000 seconds"),
        (b"idle_timeout = nan\n", "idle_timeout: nan must be a positive number"),
        (b"line_protocol = {}\n", "line_protocol: must be true or false, got a table"),
        (b"parser = [1]\n", "parser: must be one of http, smtp"),
        (b"method = {}\n", "method: must be an HTTP method such as GET or HEAD, got a table"),
        (b"defaults = [1]\n", "defaults: must be a table"),
        (b"[defaults]\npath = {x = 1}\n", "defaults.path: must be a string, got a table"),
        (b'[defaults]\n"P\\u001b" = "x"\n', 'defaults: "P\u241b" is not a placeholder name'),
        (b"steps = {}\n", "steps: must be a list of [[steps]] tables, got a table"),
        (b"steps = [1, 2]\n", "steps[1]: must be a [[steps]] table, got 1"),
        (b'steps = [{expect = "x"}, "two"]\n', "steps[2]: must be a [[steps]] table, got 'two'"),
        (b'[[steps]]\nexpect = "x"\n[[steps]]\nexpect = 5\n', "steps[2].expect: must be a string"),
        (b"[[steps]]\nsend = [[1]]\n", "steps[1].send: must be a string, got a list of 1"),
        (b"[[steps]]\nexpect = 'x'\ntimeout = {}\n", "steps[1].timeout: must be a number of"),
        (b"[[steps]]\n" + b"[[steps]]\n" * 200, "steps: has 201 steps; at most 100"),
        (b'"' + b"k" * 5000 + b'" = 1\n', 'unknown field "' + "k" * 40 + '" (allowed: name'),
    ],
    ids=lambda value: value[:48] if isinstance(value, str) else "",
)
def test_a_bad_file_is_named_and_skipped_and_the_others_load(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    loaded, problem = _load_beside_a_good_file(tmp_path, "bad.toml", content)
    assert "bad" not in loaded
    assert problem.startswith(f"template file '{tmp_path / 'bad.toml'}': {expected}"), problem
    assert not _unsafe(problem)


def test_a_file_over_the_cap_is_refused_naming_the_cap(tmp_path: Path) -> None:
    padding = b"#" * (MAX_TEMPLATE_FILE - len(GOOD) - 1) + b"\n"
    (tmp_path / "at-cap.toml").write_bytes(padding + GOOD.encode())
    (tmp_path / "over-cap.toml").write_bytes(padding + GOOD.encode() + b"\n")
    templates, problems = load_templates(tmp_path)
    assert "at-cap" in templates
    assert problems == [
        f"template file '{tmp_path / 'over-cap.toml'}': is over 1 MiB, the cap for a template file"
    ]


def test_a_huge_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    # Sparse: 64 GiB on no disk space. Reading it whole would exhaust memory.
    with open(tmp_path / "huge.toml", "wb") as file:
        file.truncate(64 * 1024**3)
    _, problem = _load_beside_a_good_file(tmp_path, "empty.toml", GOOD.encode())
    assert problem.endswith("huge.toml': is over 1 MiB, the cap for a template file")


def test_a_fifo_or_a_device_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "loop.toml").symlink_to(tmp_path / "loop.toml")
    (tmp_path / "good.toml").write_text(GOOD)
    templates, problems = load_templates(tmp_path)
    assert "good" in templates
    assert sorted(problems) == sorted(
        [
            f"template file '{tmp_path / 'fifo.toml'}': is not a regular file",
            f"template file '{tmp_path / 'folder.toml'}': is not a regular file",
            f"template file '{tmp_path / 'zero.toml'}': is not a regular file",
            f"template file '{tmp_path / 'loop.toml'}': cannot read it "
            "(Too many levels of symbolic links)",
        ]
    )


def test_past_the_file_cap_the_first_files_by_name_load_and_the_rest_are_counted(
    tmp_path: Path,
) -> None:
    count = MAX_TEMPLATE_FILES + 3
    for index in range(count):
        (tmp_path / f"t{index:04d}.toml").write_text(GOOD)
    templates, problems = load_templates(tmp_path)
    assert f"t{MAX_TEMPLATE_FILES - 1:04d}" in templates
    assert f"t{MAX_TEMPLATE_FILES:04d}" not in templates
    assert problems == [
        f"template directory '{tmp_path}': holds {count} template files; the first "
        f"{MAX_TEMPLATE_FILES} by name load (the cap), the other 3 are skipped"
    ]


def test_past_the_byte_cap_for_all_files_the_rest_are_skipped_unread(tmp_path: Path) -> None:
    padding = b"#" * (MAX_TEMPLATE_FILE - len(GOOD) - 1) + b"\n"
    files = MAX_TEMPLATE_BYTES // MAX_TEMPLATE_FILE + 2
    for index in range(files):
        (tmp_path / f"big{index}.toml").write_bytes(padding + GOOD.encode())
    templates, problems = load_templates(tmp_path)
    loaded = MAX_TEMPLATE_BYTES // MAX_TEMPLATE_FILE
    assert f"big{loaded - 1}" in templates
    assert f"big{loaded}" not in templates
    assert problems == [
        f"template directory '{tmp_path}': 2 template files from 'big{loaded}.toml' on are "
        "skipped: the files before them reached 2 MiB, the cap for all together"
    ]


@pytest.mark.parametrize(
    "stem", ["ev\x1b]0;title\x07il", "new\nline", "tab\there", "c1\x9b31m", "bidi\u202eevil"]
)
def test_a_file_name_with_control_characters_is_shown_sanitised(tmp_path: Path, stem: str) -> None:
    _, problem = _load_beside_a_good_file(tmp_path, f"{stem}.toml", GOOD.encode())
    assert problem.startswith("template file '")
    assert "must be letters, digits" in problem
    assert not _unsafe(problem)


def test_a_file_name_that_is_not_utf8_is_shown_as_its_bytes(tmp_path: Path) -> None:
    (tmp_path / os.fsdecode(b"caf\xe9.toml")).write_text(GOOD)
    _, problems = load_templates(tmp_path)
    assert len(problems) == 1
    assert "caf\\xe9.toml" in problems[0]


def test_a_problem_message_stays_one_short_line_however_long_its_quote(tmp_path: Path) -> None:
    directory = tmp_path / ("d" * 200) / ("\x1b" * 200)
    directory.mkdir(parents=True)
    _, problem = _load_beside_a_good_file(directory, f"{'x' * 200}.toml", b"port = 0\n")
    assert len(problem) == 400
    assert problem.endswith("\u2026")


def test_hostile_text_loads_as_written_and_every_message_is_safe(tmp_path: Path) -> None:
    text = "\x1b]52;c;cHduZWQ=\x07[@click=app.quit]x[/] x [/\u202e\x9b31m\nnext\tline"
    write_hostile_templates(tmp_path, text)
    templates, problems = load_templates(tmp_path)
    # The template keeps its strings unmodified: the display sanitises them, not the loader.
    assert templates["hostile"].title == text
    assert templates["hostile"].defaults == {"hostile": text}
    assert templates["hostile"].render("h", 1) == (text + text).encode()
    assert templates["hostile-steps"].steps[0].send is not None
    assert len(problems) == 2  # the name field, and the file name
    for problem in problems:
        assert not _unsafe(problem)


# ---- property: whatever the bytes, loading never raises -----------------------------------

_KEYS = st.sampled_from(
    [
        "name", "title", "transport", "port", "payload", "hex", "line_protocol", "parser",
        "method", "defaults", "steps", "idle_timeout", "deadline", "delimiter", "max_bytes",
        "half_close", "send", "expect", "until", "silence", "timeout", "x",
    ]
)  # fmt: skip
_SCALARS = st.sampled_from(
    [
        '""', '"x"', '"{path}"', '"\\\\q"', '"\\u001b[2J"', '"\\u009b"', "0", "-1", "70000",
        "1.5", "inf", "nan", "true", "false", "1979-05-27", "[]", "{}", "[1, 2]", '["a"]',
        "{a = 1}", '"tcp"', '"udp"', '"smtp"', '"GET"', '"250"', '"+OK"', '"64k"', "'lit'",
    ]
)  # fmt: skip


def _value(depth: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        _SCALARS,
        st.lists(depth, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(_KEYS, depth), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
        ),
    )


_VALUES = st.recursive(_SCALARS, _value, max_leaves=8)
_LINES = st.one_of(
    st.tuples(_KEYS, _VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["[defaults]", "[[steps]]", "[steps]", "[x]", "", "# c", "[[", "= 1"]),
    st.text(max_size=20),
    # Nesting deep enough for a RecursionError; digits too many for int().
    st.integers(500, 5000).map(lambda n: "x = " + "[" * n + "]" * n),
    st.tuples(_KEYS, st.integers(4000, 6000)).map(lambda kn: f'{kn[0]} = "{"9" * kn[1]}"'),
)
_TOMLISH = st.one_of(
    st.lists(_LINES, max_size=12).map(lambda lines: "\n".join(lines).encode("utf-8", "replace")),
    st.binary(max_size=200),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(_TOMLISH, min_size=1, max_size=4))
def test_loading_arbitrary_files_never_raises_and_keeps_every_builtin(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        for index, content in enumerate(files):
            (Path(directory) / f"f{index}.toml").write_bytes(content)
        templates, problems = load_templates(Path(directory))
    user = [t for t in templates.values() if t.source != "built-in"]
    assert set(BUILTINS) <= set(templates)
    # Every file either loaded (under some name) or has its own one-line message.
    assert len(user) + len(problems) == len(files)
    for problem in problems:
        assert problem.startswith("template file '")
        assert not _unsafe(problem)


@given(content=_TOMLISH)
def test_a_file_that_parses_gives_a_template_that_renders(content: bytes) -> None:
    try:
        template = parse_template_file(content, "f", "f.toml")
    except TemplateError:
        return
    template.read_policy(ReadPolicy())
    template.render("example.com", 80)
    template.dialogue("example.com", 80)
