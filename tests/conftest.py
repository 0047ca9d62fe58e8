"""Settings every test shares."""

import os

from hypothesis import settings

# CI draws the same examples on every run, so a red build is about the change, not the
# dice; locally (and in bench/fuzz.py) fresh examples keep finding new bugs.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
