"""The clause catalog: its strict loader, and that it accounts for every function x errno pair."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import (
    CATALOG_PATH,
    OUTCOME_CLASSES,
    CatalogError,
    Level,
    coverage_gaps,
    load_catalog,
    parse_catalog,
)
from conformance.revisions import REVISIONS

PACKAGED = CATALOG_PATH.read_text(encoding="utf-8")


# -- the packaged catalog ---------------------------------------------------------------------


@pytest.mark.parametrize("revision", REVISIONS)
def test_the_packaged_catalog_loads_for_every_revision(revision: str) -> None:
    catalog = load_catalog(revision)
    assert catalog.revision == revision
    assert catalog.clauses
    assert all(clause.applies_to(revision) for clause in catalog.clauses.values())


@pytest.mark.parametrize("revision", REVISIONS)
def test_the_catalog_accounts_for_every_function_and_errno(revision: str) -> None:
    assert coverage_gaps(load_catalog(revision)) == []


def test_uncovered_entries_are_keyed_by_function_and_errno_per_revision() -> None:
    newer, older = load_catalog("2023-08"), load_catalog("2022-10")
    # too_large exists in 2023-08 only: excused for load there, and no 2022-10 entry names it.
    assert "load.too_large" in newer.uncovered
    assert not any(pair.endswith(".too_large") for pair in older.uncovered)
    # The only too_large clause: get_output's pair is expected, so never excused.
    assert "get_output.too_large" not in newer.uncovered
    assert all(reason.strip() for catalog in (newer, older) for reason in catalog.uncovered.values())


def test_defaults_give_what_each_level_accepts() -> None:
    catalog = load_catalog("2023-08")
    valid, errno, misaligned = (
        catalog[clause_id] for clause_id in ("load.valid", "load.builder-count", "load.out-pointer-misaligned")
    )
    assert (valid.function_accepts, valid.safety_accepts) == (("success",), ("success", "error", "trap"))
    assert (errno.function_accepts, errno.safety_accepts) == (("error",), ("error", "trap"))
    assert misaligned.function_accepts == ("error", "trap", "success")
    assert catalog["link.unknown-import"].function_accepts == ()


# -- deleting a clause is caught ----------------------------------------------------------------


def without_clause(text: str, clause_id: str) -> str:
    """``text`` with the [[clause]] whose id is ``clause_id`` cut out."""
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = [block for block in blocks if not (block.startswith("[[clause]]") and f'\nid = "{clause_id}"\n' in block)]
    assert len(kept) == len(blocks) - 1, f"no single clause {clause_id} in the text"
    return "".join(kept)


def sole_expecters() -> list[tuple[str, str, str]]:
    """(revision, clause id, function.outcome) for each clause that alone expects its pair."""
    found = []
    for revision in REVISIONS:
        expecters: dict[str, list[str]] = defaultdict(list)
        for clause in load_catalog(revision).clauses.values():
            if clause.call in REVISIONS[revision].bindings.FUNCTIONS and clause.expect not in ("error", "trap"):
                expecters[f"{clause.call}.{clause.expect}"].append(clause.id)
        found += [(revision, ids[0], pair) for pair, ids in sorted(expecters.items()) if len(ids) == 1]
    return found


SOLE_EXPECTERS = sole_expecters()


def test_the_only_too_large_clause_is_among_the_sole_expecters() -> None:
    assert ("2023-08", "get_output.buffer-too-small", "get_output.too_large") in SOLE_EXPECTERS
    assert {revision for revision, _, _ in SOLE_EXPECTERS} == set(REVISIONS)


@pytest.mark.parametrize(
    ("revision", "clause_id", "pair"), SOLE_EXPECTERS, ids=[f"{r}-{c}" for r, c, _ in SOLE_EXPECTERS]
)
def test_deleting_the_only_clause_that_expects_a_pair_is_a_gap(revision: str, clause_id: str, pair: str) -> None:
    catalog = parse_catalog(without_clause(PACKAGED, clause_id), revision)
    function, _, outcome = pair.partition(".")
    gaps = coverage_gaps(catalog)
    if outcome == "success":
        assert gaps == [f"revision {revision}: no clause expects success of {function}"]
    else:
        assert gaps == [f"revision {revision}: {pair} is expected by no clause and excused by no entry"]


def test_an_entry_that_excuses_a_pair_a_clause_expects_is_stale() -> None:
    text = PACKAGED + '\n[uncovered."get_output.too_large"]\nrevisions = ["2023-08"]\nreason = "None."\n'
    assert coverage_gaps(parse_catalog(text, "2023-08")) == [
        "revision 2023-08: uncovered 'get_output.too_large' is stale: get_output.buffer-too-small expect it"
    ]


def test_an_entry_for_a_function_the_revision_lacks_is_refused() -> None:
    # Without `revisions` the entry applies to 2022-10 as well, which has no load_by_name.
    text = PACKAGED.replace(
        '[uncovered."load_by_name.busy"]\nrevisions = ["2023-08"]\n', '[uncovered."load_by_name.busy"]\n'
    )
    with pytest.raises(
        CatalogError,
        match=r"uncovered 'load_by_name.busy': 'load_by_name' is no function of the revision \(revision 2022-10\)",
    ):
        parse_catalog(text, "2023-08")


def test_an_entry_for_an_errno_the_revision_lacks_is_refused() -> None:
    text = PACKAGED.replace(
        '[uncovered."compute.too_large"]\nrevisions = ["2023-08"]\n', '[uncovered."compute.too_large"]\n'
    )
    with pytest.raises(
        CatalogError,
        match=r"uncovered 'compute.too_large': 'too_large' is no errno of the revision \(revision 2022-10\)",
    ):
        parse_catalog(text, "2023-08")


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("busy", "the key must be function.errno"),
        ("compute.success", "success is never excused"),
        ("compute.bussy", "'bussy' is no errno of the revision (revision 2023-08, 2022-10)"),
    ],
)
def test_malformed_entries_are_refused(key: str, problem: str) -> None:
    text = minimal_catalog(uncovered={key: {"reason": "Because."}})
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text, "2023-08")
    assert f"uncovered {key!r}: {problem}" in str(raised.value)


# -- the strict loader ----------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    # JSON strings, lists of strings and booleans are valid TOML.
    return json.dumps(value)


def clause_text(**overrides: Any) -> str:
    """A [[clause]] of the errno level, with ``overrides`` (None removes a key)."""
    fields: dict[str, Any] = {
        "id": "compute.test",
        "call": "compute",
        "level": "errno",
        "expect": "invalid_argument",
        "statement": "A statement.",
        "rationale": "A rationale.",
    }
    fields.update(overrides)
    return "[[clause]]\n" + "".join(
        f"{key} = {toml_value(value)}\n" for key, value in fields.items() if value is not None
    )


def minimal_catalog(*clauses: str, uncovered: dict[str, dict[str, Any]] | None = None) -> str:
    text = '[defaults]\nfunction_accepts = ["error"]\nsafety_accepts = ["error", "trap"]\n\n'
    text += "\n".join(clauses or (clause_text(),))
    for key, entry in (uncovered or {}).items():
        text += f'\n[uncovered."{key}"]\n' + "".join(f"{name} = {toml_value(value)}\n" for name, value in entry.items())
    return text


def problems(text: str, revision: str = "2023-08") -> list[str]:
    """The problems the loader finds in ``text``, each without the file name."""
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text, revision, origin="test.toml")
    assert all(line.startswith("test.toml: ") for line in str(raised.value).splitlines())
    return [problem for problem in raised.value.problems]


def test_a_minimal_catalog_loads() -> None:
    catalog = parse_catalog(minimal_catalog(), "2022-10")
    assert list(catalog.clauses) == ["compute.test"]
    assert catalog.clauses["compute.test"].level is Level.ERRNO


def test_an_unknown_key_in_the_packaged_catalog_fails_naming_the_file_and_clause(tmp_path: Path) -> None:
    text = PACKAGED.replace(
        'id = "get_output.buffer-too-small"\n', 'id = "get_output.buffer-too-small"\nsafety_accept = ["error"]\n'
    )
    assert text != PACKAGED
    path = tmp_path / "clauses.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalog("2023-08", path)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == (
        f"{path}: clause 'get_output.buffer-too-small': unknown key 'safety_accept' (known: id, call, level, "
        "expect, statement, rationale, function_accepts, safety_accepts, revisions, needs, values)"
    )


def test_a_missing_key_is_refused() -> None:
    assert problems(minimal_catalog(clause_text(rationale=None))) == ["clause 'compute.test': missing key 'rationale'"]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"statement": ""}, "statement must be a non-empty string, not ''"),
        ({"revisions": "2023-08"}, "revisions must be a list of strings, not '2023-08'"),
        ({"values": "yes"}, "values must be true or false, not 'yes'"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(overrides: dict[str, Any], problem: str) -> None:
    assert problems(minimal_catalog(clause_text(**overrides))) == [f"clause 'compute.test': {problem}"]


def test_an_unknown_call_is_refused() -> None:
    assert problems(minimal_catalog(clause_text(call="comptue"))) == [
        "clause 'compute.test': call 'comptue' is neither a function of the revision nor 'link' (revision 2023-08, 2022-10)"
    ]


def test_a_call_only_some_revisions_have_needs_those_revisions() -> None:
    lone = clause_text(call="load_by_name")
    assert problems(minimal_catalog(lone)) == [
        "clause 'compute.test': call 'load_by_name' is neither a function of the revision nor 'link' (revision 2022-10)"
    ]
    assert (
        "compute.test"
        in parse_catalog(minimal_catalog(clause_text(call="load_by_name", revisions=["2023-08"])), "2023-08").clauses
    )


@pytest.mark.parametrize("key", ["expect", "function_accepts", "safety_accepts"])
def test_an_errno_the_revision_lacks_is_refused(key: str) -> None:
    value: Any = "too_large" if key == "expect" else ["too_large", "error", "trap"]
    text = minimal_catalog(clause_text(**{key: value}))
    assert problems(text) == [
        "clause 'compute.test': outcome 'too_large' is neither one of success, error, trap nor an errno of the "
        "revision (revision 2022-10)"
    ]
    # A clause of the revisions that have it is fine.
    parse_catalog(minimal_catalog(clause_text(revisions=["2023-08"], **{key: value})), "2023-08")


def test_a_misspelt_errno_is_refused_in_every_revision() -> None:
    assert problems(minimal_catalog(clause_text(expect="invalid_arguments"))) == [
        "clause 'compute.test': outcome 'invalid_arguments' is neither one of success, error, trap nor an errno of "
        "the revision (revision 2023-08, 2022-10)"
    ]


@pytest.mark.parametrize(
    ("revisions", "problem"),
    [
        (["2024-01"], "unknown revisions ['2024-01'] (known: 2023-08, 2022-10)"),
        (["current"], "unknown revisions ['current'] (known: 2023-08, 2022-10)"),
        ([], "revisions is empty; leave it out for every revision"),
    ],
)
def test_an_unknown_revision_is_refused(revisions: list[str], problem: str) -> None:
    assert problems(minimal_catalog(clause_text(revisions=revisions))) == [f"clause 'compute.test': {problem}"]


@pytest.mark.parametrize("level", ["must", "Errno", "should"])
def test_an_unknown_level_is_refused(level: str) -> None:
    assert problems(minimal_catalog(clause_text(level=level))) == [
        f"clause 'compute.test': unknown level {level!r} (known: safety, function, errno)"
    ]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        # What the function level accepts must include the errno the errno level expects.
        (
            {"function_accepts": ["success"], "safety_accepts": ["success", "error"]},
            "function_accepts ['success'] does not include the expected 'invalid_argument'",
        ),
        (
            {"function_accepts": ["invalid_encoding"]},
            "function_accepts ['invalid_encoding'] does not include the expected 'invalid_argument'",
        ),
        # ... and what the safety level accepts must include that.
        (
            {"function_accepts": ["error", "trap"], "safety_accepts": ["error"]},
            "safety_accepts ['error'] does not include ['error', 'trap'], which a higher level accepts",
        ),
        (
            {"safety_accepts": ["invalid_argument"]},
            "safety_accepts ['invalid_argument'] does not include ['error'], which a higher level accepts",
        ),
        (
            {"level": "function", "expect": "success", "safety_accepts": ["error", "trap"]},
            "safety_accepts ['error', 'trap'] does not include ['success'], which a higher level accepts",
        ),
        (
            {"level": "safety", "expect": "trap", "safety_accepts": ["success"]},
            "safety_accepts ['success'] does not include ['trap'], which a higher level accepts",
        ),
        # A level judges its own expect; function_accepts is what a lower level of an errno clause takes.
        (
            {"level": "safety", "expect": "trap", "function_accepts": ["trap"], "safety_accepts": ["trap"]},
            "a clause of the safety level has no function_accepts (its expect is what its own level demands)",
        ),
        (
            {"level": "function", "expect": "success", "function_accepts": ["success", "error"]},
            "a clause of the function level has no function_accepts (its expect is what its own level demands)",
        ),
        ({"expect": "error"}, "a clause of the errno level expects an errno, not 'error'"),
        (
            {"level": "function"},
            "a clause of the function level expects one of success, error, trap; the exact errno "
            "'invalid_argument' is judged at the errno level only",
        ),
    ],
)
def test_an_impossible_level_combination_is_refused(overrides: dict[str, Any], problem: str) -> None:
    assert problems(minimal_catalog(clause_text(**overrides))) == [f"clause 'compute.test': {problem}"]


def test_error_covers_every_errno_name() -> None:
    text = minimal_catalog(clause_text(function_accepts=["error"], safety_accepts=["error", "trap", "success"]))
    clause = parse_catalog(text, "2023-08").clauses["compute.test"]
    assert clause.function_accepts == ("error",)
    assert set(OUTCOME_CLASSES) == set(clause.safety_accepts)


def test_a_duplicated_id_is_refused() -> None:
    assert problems(minimal_catalog(clause_text(), clause_text(expect="runtime_error"))) == [
        "clause 'compute.test': the id is used by an earlier clause"
    ]


@pytest.mark.parametrize(
    ("needs", "problem"),
    [
        (
            "loadbyname",
            "needs 'loadbyname' is neither 'load_by_name' nor encoding:<an encoding of the revision> (revision 2023-08, 2022-10)",
        ),
        (
            "encoding:onx",
            "needs 'encoding:onx' is neither 'load_by_name' nor encoding:<an encoding of the revision> (revision 2023-08, 2022-10)",
        ),
        (
            "encoding:autodetect",
            "needs 'encoding:autodetect' is neither 'load_by_name' nor encoding:<an encoding of the revision> (revision 2022-10)",
        ),
    ],
)
def test_an_unknown_capability_is_refused(needs: str, problem: str) -> None:
    assert problems(minimal_catalog(clause_text(needs=needs))) == [f"clause 'compute.test': {problem}"]


def test_an_unknown_table_and_an_unknown_default_are_refused() -> None:
    text = minimal_catalog().replace("[defaults]\n", "[defaults]\nvalues = false\n") + '\n[clauses]\nid = "x"\n'
    assert problems(text) == [
        "the catalog: unknown key 'clauses' (known: defaults, clause, uncovered)",
        "[defaults]: unknown key 'values' (known: function_accepts, safety_accepts)",
    ]


def test_a_clause_without_an_id_is_named_by_its_position() -> None:
    assert problems(minimal_catalog(clause_text(), clause_text(id=None))) == ["clause #2 (no id): missing key 'id'"]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(minimal_catalog(clause_text(level="must"), clause_text(id="other", call="lod", extra="x")))
    assert found == [
        "clause 'compute.test': unknown level 'must' (known: safety, function, errno)",
        "clause 'other': unknown key 'extra' (known: id, call, level, expect, statement, rationale, function_accepts, "
        "safety_accepts, revisions, needs, values)",
    ]


def test_text_that_is_not_toml_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"^test.toml: not valid TOML"):
        parse_catalog("[[clause]\n", "2023-08", origin="test.toml")
