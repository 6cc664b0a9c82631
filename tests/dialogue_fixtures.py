"""Dialogue fixtures shared by the CLI and app tests of multi-step templates."""

# The lab's dialogue servers, one per protocol with a built-in `<protocol>-dialogue`.
DIALOGUES = ("smtp", "pop3", "imap", "ftp", "nntp", "redis")

# A user template whose third step must fail: the lab's SMTP answers 503 to RCPT
# before MAIL.
RCPT_FIRST = """
title = "RCPT before MAIL: the lab answers 503"
parser = "smtp"

[[steps]]
expect = "220"

[[steps]]
send = "EHLO {hostname}\\r\\n"
expect = "250"

[[steps]]
send = "RCPT TO:<bob@example.org>\\r\\n"
expect = "250"

[[steps]]
send = "QUIT\\r\\n"
expect = "221"
"""
