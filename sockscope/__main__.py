import gc

from sockscope.cli import main

try:
    raise SystemExit(main())
finally:
    # The interpreter's last collections walk every object of every module loaded (ssl
    # and cryptography's make that ~7 ms); frozen, those objects are skipped. Files are
    # closed and atexit handlers run as before.
    gc.freeze()
