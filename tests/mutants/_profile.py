"""A pytest plugin for the suite's runs against mutants: the hypothesis profile ``mutants``.

It is the ``dev`` profile made deterministic (``derandomize``, no example database), so a
mutant that a property or stateful test catches is caught on every run, and without
shrinking, since a mutant run only needs to know that a clause failed, not its smallest
example. Load it with ``-p mutants._profile --hypothesis-profile=mutants``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

PROFILE = "mutants"

settings.register_profile(
    PROFILE,
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
