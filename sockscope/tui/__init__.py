"""The terminal app, on Textual.

Importing Textual and an app builds tens of thousands of objects that live as long as
the process: the cyclic collector would walk them again and again as they come. It is
paused from here until the app's module is imported, which calls imported().
"""

import gc

_COLLECTING = gc.isenabled()
gc.disable()


def imported() -> None:
    """The app is imported: what the imports built is frozen (the collector never walks
    it) and the collector runs again for what comes next."""
    gc.freeze()
    if _COLLECTING:
        gc.enable()
