"""The history names each exchange as what it was: a dialogue template's bytes sent in
one go (an edited request, or its replay) are not that dialogue run with its checks."""

from __future__ import annotations

from dataclasses import replace

from sockscope.core.model import EventType
from sockscope.core.templates import builtin_templates
from sockscope.tui.explorer import run_kind
from tests.tui.exchanges import failed_dialogue_exchange, http_exchange, refused_exchange

TEMPLATES = builtin_templates()


def test_a_dialogue_run_step_by_step_is_named_after_its_template() -> None:
    assert run_kind(failed_dialogue_exchange(), TEMPLATES) == "smtp-dialogue"


def test_a_dialogues_bytes_sent_in_one_go_say_they_went_without_its_steps() -> None:
    dialogue = failed_dialogue_exchange()
    one_go = replace(dialogue, events=[e for e in dialogue.events if e.type is not EventType.INFO])
    assert run_kind(one_go, TEMPLATES) == "smtp-dialogue, sent without its steps"


def test_other_exchanges_keep_their_template_name_or_are_raw() -> None:
    assert run_kind(http_exchange(), TEMPLATES) == "http-get"
    assert run_kind(replace(http_exchange(), template=None), TEMPLATES) == "raw"
    # Refused before anything was sent: nothing to tell apart.
    assert run_kind(replace(refused_exchange(), template="smtp-dialogue"), TEMPLATES) == (
        "smtp-dialogue"
    )
