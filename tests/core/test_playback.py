"""Playback's rules: the recorded pace times the speed, pause, step, and what is shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sockscope.core.model import EventType
from sockscope.core.playback import MAX_SPEED, MIN_SPEED, Playback
from tests.tui.exchanges import smtp_session_exchange

# The session's events: resolve 0.11 ms, connect 0.35 ms, greeting 1.2 ms, EHLO 4.2031 s,
# its reply 4.2040 s, QUIT 9.8102 s, bye 9.8109 s, close 12.5003 s.


def playing(speed: float = 1.0) -> Playback:
    playback = Playback(smtp_session_exchange())
    playback.speed = speed
    playback.play()
    return playback


def test_a_new_playback_is_paused_before_the_first_event_and_shows_nothing() -> None:
    playback = Playback(smtp_session_exchange())
    assert playback.paused and playback.count == 0 and playback.current is None
    assert playback.shown().events == [] and not playback.shown().finished


def test_playing_at_1x_shows_the_events_recorded_before_that_moment() -> None:
    playback = playing()
    assert playback.advance(4.0)
    assert playback.count == 3  # resolve, connect, the greeting
    assert not playback.advance(0.2)  # EHLO was sent at 4.2031 s
    assert playback.advance(0.01) and playback.count == 5


def test_speed_scales_the_recorded_pace() -> None:
    fast, slow = playing(10.0), playing(0.1)
    fast.advance(0.5)  # 5 recorded seconds
    slow.advance(0.5)  # 50 ms
    assert fast.count == 5 and slow.count == 3


def test_speed_is_kept_between_a_tenth_and_ten_times() -> None:
    playback = playing()
    for _ in range(10):
        playback.faster()
    assert playback.speed == MAX_SPEED
    for _ in range(20):
        playback.slower()
    assert playback.speed == MIN_SPEED


def test_paused_playback_does_not_move() -> None:
    playback = playing()
    playback.pause()
    assert not playback.advance(100.0) and playback.count == 0


def test_stepping_shows_one_event_more_or_less_and_pauses() -> None:
    playback = playing()
    playback.step_forward()
    playback.step_forward()
    assert playback.paused and playback.count == 2
    assert playback.shown().events[-1].type is EventType.CONNECT
    playback.step_back()
    assert playback.count == 1 and playback.current == 0
    playback.step_back()
    playback.step_back()
    assert playback.count == 0 and playback.position == 0.0


def test_the_end_shows_the_whole_exchange_with_its_stop_and_pauses() -> None:
    playback = playing()
    playback.advance(60.0)
    assert playback.at_end and playback.paused
    assert playback.shown() is playback.exchange
    assert playback.status().startswith("finished at event 8 of 8")


def test_until_the_end_no_stop_is_shown() -> None:
    playback = playing()
    playback.advance(10.0)
    shown = playback.shown()
    assert not shown.finished and shown.stop_message == ""
    assert [e.type for e in shown.events][-1] is EventType.RECV


def test_playing_a_finished_playback_starts_again() -> None:
    playback = playing()
    playback.advance(60.0)
    playback.play()
    assert playback.count == 0 and not playback.paused


def test_half_way_the_status_says_where_in_plain_words() -> None:
    playback = Playback(smtp_session_exchange())
    for _ in range(4):
        playback.step_forward()
    assert playback.status() == "paused at event 4 of 8 · 4.203 s of 12.500 s · 1x"


@given(st.lists(st.sampled_from(["fwd", "back", "play", "pause", "tick"]), max_size=40))
def test_any_sequence_of_controls_keeps_the_count_within_the_events(actions: list[str]) -> None:
    playback = Playback(smtp_session_exchange())
    for action in actions:
        if action == "fwd":
            playback.step_forward()
        elif action == "back":
            playback.step_back()
        elif action == "play":
            playback.play()
        elif action == "pause":
            playback.pause()
        else:
            playback.advance(1.5)
        assert 0 <= playback.count <= playback.total
        assert len(playback.shown().events) == playback.count


def test_to_end_shows_everything_and_pauses() -> None:
    playback = playing()
    playback.to_end()
    assert playback.at_end and playback.paused and playback.shown().finished
