"""sockscope: a terminal packet-conversation explorer."""

__version__ = "0.1.0"
