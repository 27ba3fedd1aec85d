"""Settings of the production-mode app that tests run behind nginx (apps/core/tests/test_front.py).

`project.settings` unchanged, except the two build outputs it finds at fixed places in the
repository: the SPA build and the collected static files come from the test's own directories.
"""

import os
from pathlib import Path

from project.settings import *  # noqa: F403 (these are project.settings plus two paths)

SPA_DIST_DIR = Path(os.environ["HELPDESK_TEST_SPA_DIR"])
STATIC_ROOT = Path(os.environ["HELPDESK_TEST_STATIC_ROOT"])
