"""A pytest plugin for the mutation runs (bench/mutation.py): Hypothesis the same every time.

A mutant's verdict must not depend on luck or on how busy the machine is: the examples are
derived from each test's name (derandomize), nothing is replayed from an example database, and
neither the deadline nor the health checks (which time input generation) can fail a test.
"""

from hypothesis import HealthCheck, settings

PROFILE = "mutation"

settings.register_profile(
    PROFILE, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)
