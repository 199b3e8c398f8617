"""The spec model: typed operations on a host, and what the spec says each one does.

A scenario is a list of operations; handles are never values but references to the
operation that made them (:class:`Made`), or forged numbers (:class:`Forged`). The model
walks the operations in order, keeping the state the spec defines (graphs, contexts, inputs
set, computed or not), and predicts for each the clauses that decide its outcome: the one
``.valid`` clause (and any the scenario says the call demonstrates) when it must succeed,
or every clause it violates when it must fail. A host may check in any order, so the model
keeps no order of checks: a call that breaks several clauses lists them all, and the outcome
any of them allows is accepted. The rules it applies beyond the WITX (the dimensions of a
scalar, which inputs make a fixture fail at compute) are written in the catalog and in the
fixtures, with their reasons. It shares nothing with the reference host.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from conformance import fixture_models, oracle
from conformance.adapters.base import Capabilities
from conformance.adapters.packaging import builders
from conformance.catalog import Catalog
from conformance.dtypes import NUMPY_DTYPES
from conformance.errors import ConformanceError
from conformance.revisions import Bindings

# -- operations -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Made:
    """The handle that operation number ``op`` wrote to its result."""

    op: int


@dataclass(frozen=True, slots=True)
class Forged:
    """A handle value no call returned."""

    value: int


HandleArgument = Made | Forged

LoadFault = Literal[
    "builder-array-past-end",
    "builder-array-one-past-end",
    "builder-array-wraps",
    "builder-past-end",
    "builder-one-past-end",
    "builder-wraps",
    "out-pointer-past-end",
    "out-pointer-misaligned",
]
NameFault = Literal["name-past-end", "empty-past-end"]
InitFault = Literal["out-pointer-past-end"]
TensorFault = Literal[
    "record-past-end",
    "record-misaligned",
    "dimensions-past-end",
    "dimensions-one-past-end",
    "dimensions-wrap",
    "data-past-end",
    "data-one-past-end",
    "data-last-byte-past-end",
    "data-wraps",
    "empty-data-past-end",
]
OutputFault = Literal["buffer-past-end", "buffer-size-wraps", "out-pointer-past-end"]


@dataclass(frozen=True, slots=True)
class Load:
    """``load`` of a fixture model, packaged as the host takes it for ``encoding``.

    ``encoding`` and ``target`` are case names or raw values; ``None`` encoding means the
    host's own encoding for ONNX fixtures. ``builders`` puts invalid buffers in place of the
    packaged ones (a wrong count, or bytes that are no model): such a load is predicted to fail.
    """

    fixture: str = "add_f32"
    encoding: str | int | None = None
    target: str | int = "cpu"
    builders: tuple[bytes, ...] | None = None
    fault: LoadFault | None = None
    demonstrates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadByName:
    """``load_by_name`` of raw name bytes.

    With the fault ``name-past-end`` the name lies at the very end of memory and the length
    passed is one more than its own, so the range runs one byte past the end: a host that
    reads short finds the name itself. ``empty-past-end`` passes length 0 at an address past
    the end. ``at_memory_end`` places a valid name so that its last byte is the last byte of
    memory.
    """

    name: bytes
    fault: NameFault | None = None
    demonstrates: tuple[str, ...] = ()
    at_memory_end: bool = False


@dataclass(frozen=True, slots=True)
class InitExecutionContext:
    """``init_execution_context`` of a graph."""

    graph: HandleArgument
    fault: InitFault | None = None
    demonstrates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetInput:
    """``set_input`` of a tensor: dimensions, raw type value, data bytes and the record's padding.

    A fault misplaces one part. The ``*-one-past-end`` faults place a valid part (the data, the
    dimensions) at the very end of memory and pass a length one unit longer, so a host that
    reads only what lies in memory sees a valid tensor; ``data-last-byte-past-end`` places all
    but the data's last byte in memory, so a host that reads a zero past the end does.
    """

    context: HandleArgument
    index: int
    dimensions: tuple[int, ...]
    tensor_type: int
    data: bytes
    padding: bytes = b"\0\0\0"
    fault: TensorFault | None = None
    demonstrates: tuple[str, ...] = ()
    data_at_memory_end: bool = False
    """Place the data so that its last byte is the last byte of memory."""


@dataclass(frozen=True, slots=True)
class Compute:
    """``compute`` on a context."""

    context: HandleArgument
    demonstrates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GetOutput:
    """``get_output`` into a buffer of ``max_size`` bytes."""

    context: HandleArgument
    index: int
    max_size: int
    fault: OutputFault | None = None
    demonstrates: tuple[str, ...] = ()


Operation = Load | LoadByName | InitExecutionContext | SetInput | Compute | GetOutput


@dataclass(frozen=True, slots=True)
class Scenario:
    """Operations run in one guest instance, and the graphs the host preloads by name.

    ``earlier`` are scenarios run before it on the same host, each in an instance of its own,
    and not judged: what they made must not reach this instance. The scenarios ``alongside``
    run at the same time as it, each in an instance of its own, on threads of the host's
    process (hosts that declare concurrency): each must get what it gets alone.
    ``memory_bound`` is how many bytes the process of an in-process host may grow by during
    the run (a command host runs under its address-space limit instead). With
    ``within_limits`` a valid call may also fail with an errno, for a limit of the host's own
    (a scenario that exhausts resources): only the clauses its operations demonstrate are
    judged. ``rounds`` is how many rounds of calls the scenario makes: it may take one
    scenario timeout per thousand of them before the host counts as hung.
    """

    operations: tuple[Operation, ...]
    graphs: Mapping[str, str] = field(default_factory=dict)
    earlier: tuple[Scenario, ...] = ()
    alongside: tuple[Scenario, ...] = ()
    memory_bound: int | None = None
    within_limits: bool = False
    rounds: int = 1


# -- predictions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the spec says an operation does.

    ``success``: whether it must succeed. ``clauses``: the clauses that decide it (the valid
    ones on success, every violated one on failure: the outcome any of them allows is
    accepted). ``demonstrated``: on failure, clauses of earlier calls this one shows (a handle
    that a failed load must not have made); they share the safety verdict of ``clauses``.
    ``output``: on a successful get_output, the array native onnxruntime gives, with the
    fixture and tensor type for the tolerance.
    """

    success: bool
    clauses: tuple[str, ...]
    demonstrated: tuple[str, ...] = ()
    output: npt.NDArray[Any] | None = None
    fixture: str = ""
    tensor_type: str = ""


class NotAskable(ConformanceError):
    """The operation asks for something outside the host's capabilities or the revision."""


@dataclass(slots=True)
class _Context:
    fixture: str
    inputs: dict[int, npt.NDArray[Any]] = field(default_factory=dict)
    outputs: list[npt.NDArray[Any]] | None = None


#: The clause each hostile memory layout violates, by call and fault.
_FAULT_CLAUSES = {
    ("load", "builder-array-past-end"): "load.builder-array-out-of-bounds",
    ("load", "builder-array-one-past-end"): "load.builder-array-out-of-bounds",
    ("load", "builder-array-wraps"): "load.builder-array-out-of-bounds",
    ("load", "builder-past-end"): "load.builder-out-of-bounds",
    ("load", "builder-one-past-end"): "load.builder-out-of-bounds",
    ("load", "builder-wraps"): "load.builder-out-of-bounds",
    ("load", "out-pointer-past-end"): "load.out-pointer-out-of-bounds",
    ("load", "out-pointer-misaligned"): "load.out-pointer-misaligned",
    ("load_by_name", "name-past-end"): "load_by_name.name-out-of-bounds",
    ("load_by_name", "empty-past-end"): "load_by_name.empty-name-past-end",
    ("init_execution_context", "out-pointer-past-end"): "init_execution_context.out-pointer-out-of-bounds",
    ("set_input", "record-past-end"): "set_input.record-out-of-bounds",
    ("set_input", "record-misaligned"): "set_input.record-misaligned",
    ("set_input", "dimensions-past-end"): "set_input.dimensions-out-of-bounds",
    ("set_input", "dimensions-one-past-end"): "set_input.dimensions-out-of-bounds",
    ("set_input", "dimensions-wrap"): "set_input.dimensions-out-of-bounds",
    ("set_input", "data-past-end"): "set_input.data-out-of-bounds",
    ("set_input", "data-one-past-end"): "set_input.data-out-of-bounds",
    ("set_input", "data-last-byte-past-end"): "set_input.data-out-of-bounds",
    ("set_input", "data-wraps"): "set_input.data-out-of-bounds",
    ("set_input", "empty-data-past-end"): "set_input.empty-data-past-end",
    ("get_output", "buffer-past-end"): "get_output.buffer-out-of-bounds",
    ("get_output", "buffer-size-wraps"): "get_output.buffer-out-of-bounds",
    ("get_output", "out-pointer-past-end"): "get_output.out-pointer-out-of-bounds",
}


def call_name(operation: Operation) -> str:
    """The wasi-nn function an operation calls."""
    return {
        Load: "load",
        LoadByName: "load_by_name",
        InitExecutionContext: "init_execution_context",
        SetInput: "set_input",
        Compute: "compute",
        GetOutput: "get_output",
    }[type(operation)]


class SpecModel:
    """Predicts operations one after another, for one revision and one host's capabilities."""

    def __init__(
        self,
        bindings: Bindings,
        capabilities: Capabilities,
        catalog: Catalog,
        preloaded: Mapping[str, str] | None = None,
    ) -> None:
        self.bindings = bindings
        self.capabilities = capabilities
        self.catalog = catalog
        self.revision = capabilities.revision
        self.preloaded = dict(preloaded or {})
        self.graphs: dict[int, str] = {}
        self.contexts: dict[int, _Context] = {}

    def _clause(self, *candidates: str) -> str:
        """The first of ``candidates`` the revision's catalog has (revision-specific variants)."""
        for candidate in candidates:
            if candidate in self.catalog.clauses:
                return candidate
        raise NotAskable(f"the {self.revision} revision has no clause {candidates[0]}")

    def _case(self, enum_name: str, value: str | int) -> enum.IntEnum | int:
        """A case of a generated enum by name, or a raw value (returned as the case when valid)."""
        cases: type[enum.IntEnum] = getattr(self.bindings, enum_name)
        if isinstance(value, str):
            if value.upper() not in cases.__members__:
                raise NotAskable(f"the {self.revision} revision has no {enum_name} {value}")
            return cases[value.upper()]
        return cases(value) if value in cases._value2member_map_ else value

    def encoding_of(self, operation: Load) -> enum.IntEnum | int:
        """The encoding a load passes: the given one, or the host's encoding for ONNX fixtures."""
        if operation.encoding is None:
            return self._case("GraphEncoding", next(iter(self.capabilities.encodings)))
        return self._case("GraphEncoding", operation.encoding)

    def target_of(self, operation: Load) -> enum.IntEnum | int:
        """The target a load passes."""
        return self._case("ExecutionTarget", operation.target)

    def predict(self, position: int, operation: Operation) -> Prediction:
        """Predict operation number ``position`` and advance the state as the spec says."""
        call = call_name(operation)
        fault = getattr(operation, "fault", None)
        violated = [_FAULT_CLAUSES[(call, fault)]] if fault else []
        if isinstance(operation, Load):
            prediction = self._load(position, operation, violated)
        elif isinstance(operation, LoadByName):
            prediction = self._load_by_name(position, operation, violated)
        elif isinstance(operation, InitExecutionContext):
            prediction = self._init(position, operation, violated)
        elif isinstance(operation, SetInput):
            prediction = self._set_input(operation, violated)
        elif isinstance(operation, Compute):
            prediction = self._compute(operation)
        else:
            prediction = self._get_output(operation, violated)
        if not prediction.success:
            # A violation the revision has no clause for (a target it cannot name as unavailable)
            # is not asked; the call's other violations still decide it.
            applicable = tuple(clause for clause in prediction.clauses if clause in self.catalog.clauses)
            if not applicable:
                clauses = ", ".join(prediction.clauses)
                raise NotAskable(f"clauses {clauses} do not apply to the {self.revision} revision")
            prediction = dataclasses.replace(prediction, clauses=applicable, demonstrated=operation.demonstrates)
        for clause in (*prediction.clauses, *prediction.demonstrated):
            if clause not in self.catalog.clauses:
                raise NotAskable(f"clause {clause} does not apply to the {self.revision} revision")
        return prediction

    def _success(self, valid: str, operation: Operation, **extra: Any) -> Prediction:
        return Prediction(True, (valid, *operation.demonstrates), **extra)

    def _load(self, position: int, operation: Load, violated: list[str]) -> Prediction:
        encoding = self.encoding_of(operation)
        target = self.target_of(operation)
        packaging = None
        if not isinstance(encoding, enum.IntEnum):
            violated.append("load.encoding-unknown")
        else:
            packaging = self.capabilities.encodings.get(encoding.name.lower())
            if packaging is None:
                violated.append(self._clause("load.encoding-not-served", "load.encoding-not-served-2022"))
        if not isinstance(target, enum.IntEnum):
            violated.append("load.target-unknown")
        elif target.name.lower() not in self.capabilities.targets:
            violated.append("load.target-unavailable")
        autodetect = isinstance(encoding, enum.IntEnum) and encoding.name.lower() == "autodetect"
        if operation.builders is not None and packaging is not None:
            if len(operation.builders) != len(builders(operation.fixture, packaging)):
                violated.append("load.builder-count")
            else:
                violated.append("load.autodetect-unrecognised" if autodetect else "load.model-malformed")
        if violated:
            return Prediction(False, tuple(violated))
        self._need_types(operation.fixture)
        self.graphs[position] = operation.fixture
        return self._success("load.autodetect" if autodetect else "load.valid", operation)

    def _need_types(self, fixture: str) -> None:
        missing = fixture_models.FIXTURES[fixture].tensor_types - set(self.capabilities.tensor_types)
        if missing:
            raise NotAskable(f"the host does not take tensor types {sorted(missing)} of {fixture}")

    def _load_by_name(self, position: int, operation: LoadByName, violated: list[str]) -> Prediction:
        if not self.capabilities.load_by_name:
            raise NotAskable("the host declares no load_by_name")
        if violated:
            return Prediction(False, tuple(violated))
        try:
            name = operation.name.decode("utf-8")
        except UnicodeDecodeError:
            return Prediction(False, ("load_by_name.name-not-utf8",))
        fixture = self.preloaded.get(name)
        if fixture is None:
            if "\0" in name:
                return Prediction(False, ("load_by_name.name-interior-nul", "load_by_name.unknown-name"))
            return Prediction(False, ("load_by_name.unknown-name",))
        self.graphs[position] = fixture
        clauses = ["load_by_name.valid"]
        if operation.at_memory_end:
            clauses.append("load_by_name.name-at-memory-end")
        return Prediction(True, (*clauses, *operation.demonstrates))

    def _graph(self, handle: HandleArgument) -> str | None:
        return self.graphs.get(handle.op) if isinstance(handle, Made) else None

    def _context(self, handle: HandleArgument) -> _Context | None:
        return self.contexts.get(handle.op) if isinstance(handle, Made) else None

    def _init(self, position: int, operation: InitExecutionContext, violated: list[str]) -> Prediction:
        fixture = self._graph(operation.graph)
        if fixture is None:
            violated.append("init_execution_context.graph-unknown")
        if violated:
            return Prediction(False, tuple(violated))
        assert fixture is not None
        self.contexts[position] = _Context(fixture)
        return self._success("init_execution_context.valid", operation)

    def _set_input(self, operation: SetInput, violated: list[str]) -> Prediction:
        context = self._context(operation.context)
        if context is None:
            violated.append("set_input.context-unknown")
        tensor_types: type[enum.IntEnum] = self.bindings.TensorType
        given = (
            tensor_types(operation.tensor_type).name.lower()
            if operation.tensor_type in tensor_types._value2member_map_
            else None
        )
        if given is None:
            violated.append("set_input.tensor-type-unknown")
        # What the host can see of the tensor: a misplaced record or dimension array hides the
        # dimensions, and misplaced data its length; every clause the visible parts break counts.
        dimensions_seen = operation.fault not in _HIDES_DIMENSIONS
        data_length = len(operation.data)  # the length the record passes
        if operation.fault == "data-one-past-end":
            data_length += 1
        elif operation.fault == "empty-data-past-end":
            data_length = 0
        data_seen = operation.fault not in ("record-past-end", "data-past-end", "data-wraps")
        spec = None
        if context is not None:
            inputs = fixture_models.FIXTURES[context.fixture].inputs
            if operation.index >= len(inputs):
                violated.append("set_input.index-out-of-range")
            else:
                spec = inputs[operation.index]
        if spec is not None and given is not None and given != spec.tensor_type:
            violated.append("set_input.tensor-type-mismatch")
        if spec is not None and dimensions_seen and not _shape_matches(spec.shape, operation.dimensions):
            violated.append("set_input.shape-mismatch")
        if given is not None and dimensions_seen and data_seen:
            element_size = NUMPY_DTYPES[given].itemsize
            size = math.prod(operation.dimensions) * element_size
            if size != data_length:
                violated.append("set_input.data-length-mismatch")
                if size and size % (1 << 32) == data_length:
                    violated.append("set_input.dimensions-product-wraps")
        if violated:
            return Prediction(False, tuple(dict.fromkeys(violated)))
        assert context is not None
        assert spec is not None
        context.inputs[operation.index] = np.frombuffer(operation.data, spec.numpy_dtype).reshape(operation.dimensions)
        clauses = ["set_input.valid"]
        if operation.padding != b"\0\0\0":
            clauses.append("set_input.padding-ignored")
        if not spec.shape:
            clauses.append("set_input.scalar")
        elif 0 in operation.dimensions:
            clauses.append("set_input.empty")
        if any(isinstance(dimension, str) for dimension in spec.shape):
            clauses.append("set_input.dynamic-dimension")
        return Prediction(True, (*clauses, *operation.demonstrates))

    def _compute(self, operation: Compute) -> Prediction:
        context = self._context(operation.context)
        if context is None:
            return Prediction(False, ("compute.context-unknown",))
        fixture = fixture_models.FIXTURES[context.fixture]
        count = len(fixture.inputs)
        if len(context.inputs) < count:
            return Prediction(False, ("compute.inputs-missing",))
        inputs = [context.inputs[index] for index in range(count)]
        # Whether inference fails is the fixture's declaration, never an exception of the
        # oracle: a bug in the oracle must show as a failing test, not as a predicted failure.
        if fixture.fails_on(inputs) is not None:
            context.outputs = None
            return Prediction(False, ("compute.inference-fails",))
        context.outputs = oracle.native_outputs(context.fixture, inputs)
        return self._success("compute.valid", operation)

    def _get_output(self, operation: GetOutput, violated: list[str]) -> Prediction:
        context = self._context(operation.context)
        if context is None:
            violated.append("get_output.context-unknown")
        else:
            outputs = fixture_models.FIXTURES[context.fixture].outputs
            if operation.index >= len(outputs):
                violated.append("get_output.index-out-of-range")
            elif context.outputs is None:
                violated.append("get_output.before-compute")
            elif operation.fault is None:
                nbytes = np.ascontiguousarray(context.outputs[operation.index]).nbytes
                if nbytes > operation.max_size:
                    violated.append(self._clause("get_output.buffer-too-small", "get_output.buffer-too-small-2022"))
        if violated:
            return Prediction(False, tuple(violated))
        assert context is not None
        assert context.outputs is not None
        output = np.ascontiguousarray(context.outputs[operation.index])
        clauses = ["get_output.valid", "get_output.values"]
        if operation.max_size > output.nbytes:
            clauses.append("get_output.larger-buffer")
        return Prediction(
            True,
            (*clauses, *operation.demonstrates),
            output=output,
            fixture=context.fixture,
            tensor_type=fixture_models.FIXTURES[context.fixture].outputs[operation.index].tensor_type,
        )


#: Faults of set_input after which the host cannot read the dimensions the operation gives.
_HIDES_DIMENSIONS = frozenset({"record-past-end", "dimensions-past-end", "dimensions-one-past-end", "dimensions-wrap"})


def _shape_matches(declared: Sequence[int | str], given: Sequence[int]) -> bool:
    # The rank is the length of the dimension list: a rank-0 input takes [] and nothing else
    # (the rationale of set_input.scalar and set_input.shape-mismatch in the catalog).
    return len(declared) == len(given) and all(
        isinstance(size, str) or size == dimension for size, dimension in zip(declared, given, strict=True)
    )
