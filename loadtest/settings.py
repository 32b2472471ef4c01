"""The portal's own settings, with static files collected into the load test's scratch folder.

The manifest storage used when DJANGO_DEBUG is off needs collected files;
keeping them out of the checkout's STATIC_ROOT leaves a developer's
`staticfiles/` untouched.
"""

import os

from pmf.settings import *  # noqa: F403

STATIC_ROOT = os.environ["PMF_LOADTEST_STATIC_ROOT"]
