"""Small in-process hosts the suite's own tests run the conformance suite against."""
