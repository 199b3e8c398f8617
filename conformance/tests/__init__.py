"""The conformance tests, shipped with the package: ``pytest --pyargs conformance.tests``.

Each test names the clauses it checks; every call it makes is judged against the spec
model, and the judgements feed the run's ledger and reports.
"""
