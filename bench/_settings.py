"""Settings for benchmarks: the real settings plus a bare JSON view to compare against."""

from shopfloor.settings import *  # noqa: F403

ROOT_URLCONF = "bench._urls"
