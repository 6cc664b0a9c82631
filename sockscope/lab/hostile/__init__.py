"""The hostile lab: servers that misbehave on purpose, one case per port, all from data.

See shared/design/hostile-servers.md for the behaviours and what sockscope should show.
"""

from sockscope.lab.hostile.case import Case, Expect
from sockscope.lab.hostile.catalog import CASES, HOSTILE_OFFSET, MAX_HOSTILE_OFFSET, case
from sockscope.lab.hostile.script import play
from sockscope.lab.hostile.tls_cases import tls_identities
from sockscope.lab.hostile.udp_cases import listen_datagrams

__all__ = [
    "CASES",
    "HOSTILE_OFFSET",
    "MAX_HOSTILE_OFFSET",
    "Case",
    "Expect",
    "case",
    "listen_datagrams",
    "play",
    "tls_identities",
]
