"""One example scenario per clause: the smallest run in which the clause decides a call.

Each builder takes the revision's bindings and the host's capabilities and returns a
:class:`~conformance.model.Scenario`; the example test runs it and requires every call in it
to pass, and the clause to have been judged at least once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance import models, oracle
from conformance.adapters.base import Capabilities
from conformance.adapters.packaging import builders
from conformance.model import (
    Compute,
    Forged,
    GetOutput,
    InitExecutionContext,
    Load,
    LoadByName,
    Made,
    NotAskable,
    Operation,
    Scenario,
    SetInput,
)

FORGED = Forged(0x5EED)
"""A handle value no host hands out in a short scenario."""

ExampleBuilder = Callable[[ModuleType, Capabilities], Scenario]


def tensor_type(bindings: ModuleType, name: str) -> int:
    """The revision's value of tensor type ``name``."""
    cases: type[enum.IntEnum] = bindings.TensorType
    if name.upper() not in cases.__members__:
        raise NotAskable(f"the revision has no tensor type {name}")
    return int(cases[name.upper()])


def example_inputs(fixture: str, seed: int = 0, symbols: dict[str, int] | None = None) -> list[npt.NDArray[Any]]:
    """Deterministic inputs for ``fixture`` that make it compute (the reshape fixture's agree)."""
    specs = models.FIXTURES[fixture].inputs
    rng = np.random.default_rng(seed)
    if fixture == "reshape":
        return [np.arange(6, dtype=np.float32), np.array([2, 3], dtype=np.int64)]
    arrays = []
    for spec in specs:
        shape = spec.concrete_shape(symbols or {"N": 4})
        dtype = spec.numpy_dtype
        if dtype.kind == "f":
            arrays.append(np.asarray(rng.standard_normal(shape) * 4, dtype=dtype))
        else:
            # u8 over its whole range, so that sums wrap as ONNX defines; small values elsewhere.
            high = 256 if dtype == np.uint8 else 100
            arrays.append(np.asarray(rng.integers(0, high, shape), dtype=dtype))
    return arrays


def set_inputs(
    bindings: ModuleType, context: int, fixture: str, inputs: list[npt.NDArray[Any]], **options: Any
) -> list[Operation]:
    """A set_input per given input of ``fixture``, in order (fewer inputs leave the rest unset)."""
    specs = models.FIXTURES[fixture].inputs
    return [
        SetInput(Made(context), index, value.shape, tensor_type(bindings, spec.tensor_type), value.tobytes(), **options)
        for index, (spec, value) in enumerate(zip(specs, inputs, strict=False))
    ]


def ready(bindings: ModuleType, fixture: str = "add_f32", seed: int = 0, start: int = 0) -> list[Operation]:
    """Load ``fixture``, make a context (operation ``start + 1``), set every input and compute."""
    inputs = example_inputs(fixture, seed)
    return [
        Load(fixture),
        InitExecutionContext(Made(start)),
        *set_inputs(bindings, start + 1, fixture, inputs),
        Compute(Made(start + 1)),
    ]


def output_size(fixture: str, index: int = 0, seed: int = 0) -> int:
    """The byte size of output ``index`` on the example inputs."""
    return int(oracle.native_outputs(fixture, example_inputs(fixture, seed))[index].nbytes)


def _scenario(*operations: Operation, graphs: dict[str, str] | None = None) -> Scenario:
    return Scenario(tuple(operations), graphs or {})


def _primary_encoding(capabilities: Capabilities) -> str:
    return next(iter(capabilities.encodings))


def _encoding_value(bindings: ModuleType, name: str) -> int:
    return int(bindings.GraphEncoding[name.upper()])


def _unserved_encoding(bindings: ModuleType, capabilities: Capabilities) -> str:
    for case in bindings.GraphEncoding:
        name = case.name.lower()
        if name not in capabilities.encodings and name != "autodetect":
            return str(name)
    raise NotAskable("the host serves every encoding")


def _unavailable_target(bindings: ModuleType, capabilities: Capabilities) -> str:
    for case in reversed(list(bindings.ExecutionTarget)):
        if case.name.lower() not in capabilities.targets:
            return str(case.name.lower())
    raise NotAskable("the host offers every target")


def _builder_count(capabilities: Capabilities) -> int:
    return len(builders("add_f32", capabilities.encodings[_primary_encoding(capabilities)]))


# -- the examples, by clause ----------------------------------------------------------------


def _load_valid(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load("add_f32"), Load("mlp"))


def _load_autodetect(b: ModuleType, c: Capabilities) -> Scenario:
    if "autodetect" not in c.encodings:
        raise NotAskable("the host declares no autodetect")
    return _scenario(Load("add_f32", encoding="autodetect"))


def _load_autodetect_unrecognised(b: ModuleType, c: Capabilities) -> Scenario:
    if "autodetect" not in c.encodings:
        raise NotAskable("the host declares no autodetect")
    return _scenario(Load("add_f32", encoding="autodetect", builders=(b"\x08\x01 neither onnx nor anything",)))


def _encoding_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    primary = _encoding_value(b, _primary_encoding(c))
    return _scenario(Load(encoding=99), Load(encoding=256 + primary))


def _encoding_not_served(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(encoding=_unserved_encoding(b, c)))


def _target_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(target=len(b.ExecutionTarget) + 4))


def _target_unavailable(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(target=_unavailable_target(b, c)))


def _builder_count_example(b: ModuleType, c: Capabilities) -> Scenario:
    count = _builder_count(c)
    return _scenario(Load(builders=()), Load(builders=(b"\0",) * (count + 1)))


def _model_malformed(b: ModuleType, c: Capabilities) -> Scenario:
    count = _builder_count(c)
    garbage = b"\x08\x01" + bytes(range(256)) * 4
    return _scenario(Load(builders=(garbage,) * count), Load(builders=(b"",) * count))


def _load_fault(*faults: str) -> ExampleBuilder:
    def example(b: ModuleType, c: Capabilities) -> Scenario:
        return _scenario(*(Load(fault=fault) for fault in faults))  # type: ignore[arg-type]

    return example


def _load_out_pointer_repeatedly(b: ModuleType, c: Capabilities) -> Scenario:
    # More refused loads than any sane graph limit, then a valid one: a host that loads the
    # graph before it finds the result cannot be stored leaks them, and runs out.
    return _scenario(*(Load(fault="out-pointer-past-end") for _ in range(100)), Load())


def _load_by_name_valid(b: ModuleType, c: Capabilities) -> Scenario:
    inputs = example_inputs("add_f32")
    size = output_size("add_f32")
    return _scenario(
        LoadByName(b"add"),
        InitExecutionContext(Made(0)),
        *set_inputs(b, 1, "add_f32", inputs),
        Compute(Made(1)),
        GetOutput(Made(1), 0, size),
        graphs={"add": "add_f32"},
    )


def _unknown_name(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"no-such-graph"), LoadByName(b""), graphs={"add": "add_f32"})


def _name_not_utf8(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"\xff\xfe\xfd"), graphs={"add": "add_f32"})


def _name_out_of_bounds(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"add", fault="name-past-end"), graphs={"add": "add_f32"})


def _init_valid(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(), InitExecutionContext(Made(0)), InitExecutionContext(Made(0)))


def _init_graph_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(), InitExecutionContext(FORGED))


def _init_out_pointer(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(Load(), InitExecutionContext(Made(0), fault="out-pointer-past-end"))


def _set_input_valid(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b)[:-1])


def _padding_ignored(b: ModuleType, c: Capabilities) -> Scenario:
    inputs = example_inputs("add_f32")
    return _scenario(
        Load(), InitExecutionContext(Made(0)), *set_inputs(b, 1, "add_f32", inputs, padding=b"\xff\xa5\x5a")
    )


def _dynamic_dimension(b: ModuleType, c: Capabilities) -> Scenario:
    operations: list[Operation] = [Load("dynamic")]
    for rows in (0, 1, 5):
        context = len(operations)
        inputs = example_inputs("dynamic", symbols={"N": rows})
        size = int(oracle.native_outputs("dynamic", inputs)[0].nbytes)
        operations += [
            InitExecutionContext(Made(0)),
            *set_inputs(b, context, "dynamic", inputs),
            Compute(Made(context)),
            GetOutput(Made(context), 0, size),
        ]
    return _scenario(*operations)


def _fixture_round_trip(fixture: str) -> ExampleBuilder:
    def example(b: ModuleType, c: Capabilities) -> Scenario:
        return _scenario(*ready(b, fixture), GetOutput(Made(1), 0, output_size(fixture)))

    return example


def _set_input_context_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(*ready(b), SetInput(FORGED, 0, value.shape, tensor_type(b, "f32"), value.tobytes()))


def _index_out_of_range(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 2, value.shape, tensor_type(b, "f32"), value.tobytes())
    )


def _tensor_type_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 0, value.shape, len(b.TensorType) + 3, value.tobytes())
    )


def _tensor_type_mismatch(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0].astype(np.int32)
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 0, value.shape, tensor_type(b, "i32"), value.tobytes())
    )


def _shape_mismatch(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    f32 = tensor_type(b, "f32")
    return _scenario(
        Load(),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (3, 2), f32, value.tobytes()),
        SetInput(Made(1), 0, (6,), f32, value.tobytes()),
    )


def _data_length_mismatch(b: ModuleType, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0].tobytes()
    f32 = tensor_type(b, "f32")
    return _scenario(
        Load(),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (2, 3), f32, value[:-1]),
        SetInput(Made(1), 0, (2, 3), f32, value + b"\0\0\0\0"),
        Load("dynamic"),
        InitExecutionContext(Made(4)),
        # 0x40000001 x 3 x 4 bytes is 3 x 2^32 + 12: a host that multiplies in 32 bits sees 12.
        SetInput(Made(5), 0, (0x40000001, 3), f32, b"\0" * 12),
    )


def _tensor_fault(*faults: str) -> ExampleBuilder:
    def example(b: ModuleType, c: Capabilities) -> Scenario:
        value = example_inputs("add_f32")[0]
        f32 = tensor_type(b, "f32")
        return _scenario(
            Load(),
            InitExecutionContext(Made(0)),
            *(SetInput(Made(1), 0, value.shape, f32, value.tobytes(), fault=fault) for fault in faults),  # type: ignore[arg-type]
        )

    return example


def _record_out_of_bounds(b: ModuleType, c: Capabilities) -> Scenario:
    # The record's last field (the data length) lies past the end. On the empty fixture a host
    # that reads past the end and finds zeros there would see a valid tensor and succeed.
    f32 = tensor_type(b, "f32")
    return _scenario(
        *_tensor_fault("record-past-end")(b, c).operations,
        Load("empty"),
        InitExecutionContext(Made(3)),
        SetInput(Made(4), 0, (0, 3), f32, b"", fault="record-past-end"),
    )


def _compute_valid(b: ModuleType, c: Capabilities) -> Scenario:
    size = output_size("add_f32")
    again = example_inputs("add_f32", seed=1)
    return _scenario(
        *ready(b),
        GetOutput(Made(1), 0, size),
        *set_inputs(b, 1, "add_f32", again),
        Compute(Made(1)),
        # The output after the second compute must be the new inputs' one.
        GetOutput(Made(1), 0, size, demonstrates=("compute.valid",)),
    )


def _compute_context_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), Compute(FORGED))


def _inputs_missing(b: ModuleType, c: Capabilities) -> Scenario:
    first = example_inputs("add_f32")[:1]
    return _scenario(Load(), InitExecutionContext(Made(0)), *set_inputs(b, 1, "add_f32", first), Compute(Made(1)))


def _inference_fails(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(
        Load("reshape"),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (3,), tensor_type(b, "f32"), np.ones(3, np.float32).tobytes()),
        SetInput(Made(1), 1, (2,), tensor_type(b, "i64"), np.array([5, 5], np.int64).tobytes()),
        Compute(Made(1)),
    )


def _values(b: ModuleType, c: Capabilities) -> Scenario:
    operations: list[Operation] = []
    for name in (case.name.lower() for case in b.TensorType):
        fixture = f"add_{name}"
        if name not in c.tensor_types:
            continue
        start = len(operations)
        operations += ready(b, fixture, start=start)
        operations += [GetOutput(Made(start + 1), index, output_size(fixture, index)) for index in (0, 1)]
    return _scenario(*operations)


def _output_order(b: ModuleType, c: Capabilities) -> Scenario:
    outputs = [
        GetOutput(Made(1), index, output_size("multi_io", index), demonstrates=("get_output.output-order",))
        for index in (0, 1)
    ]
    return _scenario(*ready(b, "multi_io"), *outputs)


def _larger_buffer(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(Made(1), 0, output_size("add_f32") + 13))


def _get_output_context_unknown(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(FORGED, 0, 64))


def _output_index(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(Made(1), 2, 64))


def _before_compute(b: ModuleType, c: Capabilities) -> Scenario:
    return _scenario(*ready(b)[:-1], GetOutput(Made(1), 0, 64))


def _too_small(b: ModuleType, c: Capabilities) -> Scenario:
    size = output_size("add_f32")
    return _scenario(*ready(b), GetOutput(Made(1), 0, size - 1), GetOutput(Made(1), 0, 0))


def _output_fault(*faults: str) -> ExampleBuilder:
    def example(b: ModuleType, c: Capabilities) -> Scenario:
        return _scenario(*ready(b), *(GetOutput(Made(1), 0, 64, fault=fault) for fault in faults))  # type: ignore[arg-type]

    return example


def _contexts_independent(b: ModuleType, c: Capabilities) -> Scenario:
    size = output_size("mlp")
    first, second = example_inputs("mlp", 1), example_inputs("mlp", 2)
    tag = ("state.contexts-independent",)
    return _scenario(
        Load("mlp"),
        InitExecutionContext(Made(0)),
        InitExecutionContext(Made(0)),
        *set_inputs(b, 1, "mlp", first),
        *set_inputs(b, 2, "mlp", second),
        Compute(Made(2)),
        Compute(Made(1)),
        GetOutput(Made(1), 0, size, demonstrates=tag),
        GetOutput(Made(2), 0, size, demonstrates=tag),
    )


def _graphs_independent(b: ModuleType, c: Capabilities) -> Scenario:
    tag = ("state.graphs-independent",)
    size = output_size("add_f32")
    operations = ready(b, "add_f32")
    # More loads than a small handle table has slots, then the first graph and its context again.
    operations += [Load(fixture) for fixture in ("mlp", "dynamic", "add_f32", "mlp", "scalar", "add_f32")]
    context = len(operations)
    operations += [InitExecutionContext(Made(0), demonstrates=tag)]
    operations += set_inputs(b, context, "add_f32", example_inputs("add_f32", seed=5))
    operations += [Compute(Made(context)), GetOutput(Made(context), 0, size, demonstrates=tag)]
    operations += [GetOutput(Made(1), 0, size, demonstrates=tag)]
    return _scenario(*operations)


EXAMPLES: dict[str, ExampleBuilder] = {
    "load.valid": _load_valid,
    "load.autodetect": _load_autodetect,
    "load.autodetect-unrecognised": _load_autodetect_unrecognised,
    "load.encoding-unknown": _encoding_unknown,
    "load.encoding-not-served": _encoding_not_served,
    "load.encoding-not-served-2022": _encoding_not_served,
    "load.target-unknown": _target_unknown,
    "load.target-unavailable": _target_unavailable,
    "load.builder-count": _builder_count_example,
    "load.model-malformed": _model_malformed,
    "load.builder-array-out-of-bounds": _load_fault("builder-array-past-end", "builder-array-wraps"),
    "load.builder-out-of-bounds": _load_fault("builder-past-end", "builder-wraps"),
    "load.out-pointer-out-of-bounds": _load_out_pointer_repeatedly,
    "load.out-pointer-misaligned": _load_fault("out-pointer-misaligned"),
    "load_by_name.valid": _load_by_name_valid,
    "load_by_name.unknown-name": _unknown_name,
    "load_by_name.name-not-utf8": _name_not_utf8,
    "load_by_name.name-out-of-bounds": _name_out_of_bounds,
    "init_execution_context.valid": _init_valid,
    "init_execution_context.graph-unknown": _init_graph_unknown,
    "init_execution_context.out-pointer-out-of-bounds": _init_out_pointer,
    "set_input.valid": _set_input_valid,
    "set_input.padding-ignored": _padding_ignored,
    "set_input.dynamic-dimension": _dynamic_dimension,
    "set_input.scalar": _fixture_round_trip("scalar"),
    "set_input.empty": _fixture_round_trip("empty"),
    "set_input.context-unknown": _set_input_context_unknown,
    "set_input.index-out-of-range": _index_out_of_range,
    "set_input.tensor-type-unknown": _tensor_type_unknown,
    "set_input.tensor-type-mismatch": _tensor_type_mismatch,
    "set_input.shape-mismatch": _shape_mismatch,
    "set_input.data-length-mismatch": _data_length_mismatch,
    "set_input.record-out-of-bounds": _record_out_of_bounds,
    "set_input.record-misaligned": _tensor_fault("record-misaligned"),
    "set_input.dimensions-out-of-bounds": _tensor_fault("dimensions-past-end", "dimensions-wrap"),
    "set_input.data-out-of-bounds": _tensor_fault("data-past-end", "data-wraps"),
    "compute.valid": _compute_valid,
    "compute.context-unknown": _compute_context_unknown,
    "compute.inputs-missing": _inputs_missing,
    "compute.inference-fails": _inference_fails,
    "get_output.valid": _fixture_round_trip("add_f32"),
    "get_output.values": _values,
    "get_output.output-order": _output_order,
    "get_output.larger-buffer": _larger_buffer,
    "get_output.context-unknown": _get_output_context_unknown,
    "get_output.index-out-of-range": _output_index,
    "get_output.before-compute": _before_compute,
    "get_output.buffer-too-small": _too_small,
    "get_output.buffer-too-small-2022": _too_small,
    "get_output.buffer-out-of-bounds": _output_fault("buffer-past-end", "buffer-size-wraps"),
    "get_output.out-pointer-out-of-bounds": _output_fault("out-pointer-past-end"),
    "state.contexts-independent": _contexts_independent,
    "state.graphs-independent": _graphs_independent,
}
"""The example scenario of every clause a scenario can express (the link and memory clauses
need guests of their own; see :mod:`conformance.special`)."""
