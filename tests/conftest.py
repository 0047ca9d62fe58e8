"""Settings every test shares."""

import logging
import os

from hypothesis import settings

# aiosmtpd's sink threads log each dropped connection at INFO, sometimes after pytest has
# closed the stream a test's log handler wrote to ("--- Logging error ---" noise).
logging.getLogger("mail.log").setLevel(logging.WARNING)

# CI draws the same examples on every run, so a red build is about the change, not the
# dice; locally (and in bench/fuzz.py) fresh examples keep finding new bugs.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
