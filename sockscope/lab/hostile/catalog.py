"""Every hostile case, in the order the table lists them and the port offsets follow."""

from __future__ import annotations

from sockscope.lab.hostile import display, http_cases, tls_cases, transport, udp_cases
from sockscope.lab.hostile.case import Case

CASES: tuple[Case, ...] = (
    *transport.CASES,
    *http_cases.CASES,
    *tls_cases.CASES,
    *udp_cases.CASES,
    *display.CASES,
)

# With a port base P, the Nth case (from 0) listens at P + HOSTILE_OFFSET + N: above the
# classic services (https at P + 443).
HOSTILE_OFFSET = 500
MAX_HOSTILE_OFFSET = HOSTILE_OFFSET + len(CASES) - 1


def case(name: str) -> Case:
    """The case called `name`; KeyError naming the choices otherwise."""
    for candidate in CASES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no hostile case {name!r}; there are {', '.join(c.name for c in CASES)}")
