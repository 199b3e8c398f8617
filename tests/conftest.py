"""Settings shared by the suite's own tests."""

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


def pytest_configure(config: object) -> None:
    """Build the corpus index of every revision once, before suite runs in parallel child processes want it."""
    from conformance.corpus.cases import corpus_index
    from conformance.revisions import REVISIONS

    for name in REVISIONS:
        corpus_index(name)
