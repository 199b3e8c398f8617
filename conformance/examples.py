"""One example scenario per clause: the smallest run in which the clause decides a call.

Each builder takes the revision's bindings and the host's capabilities and returns a
:class:`~conformance.spec.Scenario`; the example test runs it and requires every call in it
to pass, and the clause to have been judged at least once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance import fixture_models, oracle
from conformance.adapters.base import Capabilities
from conformance.adapters.packaging import builders
from conformance.revisions import Bindings
from conformance.spec import (
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

ExampleBuilder = Callable[[Bindings, Capabilities], Scenario]


def tensor_type(bindings: Bindings, name: str) -> int:
    """The revision's value of tensor type ``name``."""
    cases: type[enum.IntEnum] = bindings.TensorType
    if name.upper() not in cases.__members__:
        raise NotAskable(f"the revision has no tensor type {name}")
    return int(cases[name.upper()])


def example_inputs(fixture: str, seed: int = 0, symbols: dict[str, int] | None = None) -> list[npt.NDArray[Any]]:
    """Deterministic inputs for ``fixture`` that make it compute (the reshape fixture's agree)."""
    specs = fixture_models.FIXTURES[fixture].inputs
    rng = np.random.default_rng(seed)
    if fixture == "reshape_i32":
        return [np.arange(6, dtype=np.float32), np.array([2, 3], dtype=specs[1].numpy_dtype)]
    arrays = []
    for spec in specs:
        shape = spec.concrete_shape(symbols or {"N": 4})
        dtype = spec.numpy_dtype
        if dtype.kind == "f":
            arrays.append(np.asarray(rng.standard_normal(shape) * 4, dtype=dtype))
        elif dtype == np.int64:
            # Past 32 bits, so that a host that computes or copies i64 as i32 is seen.
            arrays.append(np.asarray(rng.integers(-(1 << 40), 1 << 40, shape), dtype=dtype))
        else:
            # u8 over its whole range, so that sums wrap as ONNX defines; small values elsewhere.
            high = 256 if dtype == np.uint8 else 100
            arrays.append(np.asarray(rng.integers(0, high, shape), dtype=dtype))
    return arrays


def set_inputs(
    bindings: Bindings, context: int, fixture: str, inputs: list[npt.NDArray[Any]], **options: Any
) -> list[Operation]:
    """A set_input per given input of ``fixture``, in order (fewer inputs leave the rest unset)."""
    specs = fixture_models.FIXTURES[fixture].inputs
    return [
        SetInput(Made(context), index, value.shape, tensor_type(bindings, spec.tensor_type), value.tobytes(), **options)
        for index, (spec, value) in enumerate(zip(specs, inputs, strict=False))
    ]


def ready(bindings: Bindings, fixture: str = "add_f32", seed: int = 0, start: int = 0) -> list[Operation]:
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


def _encoding_value(bindings: Bindings, name: str) -> int:
    return int(bindings.GraphEncoding[name.upper()])


def _unserved_encoding(bindings: Bindings, capabilities: Capabilities) -> str:
    for case in bindings.GraphEncoding:
        name = case.name.lower()
        if name not in capabilities.encodings and name != "autodetect":
            return str(name)
    raise NotAskable("the host serves every encoding")


def _unavailable_target(bindings: Bindings, capabilities: Capabilities) -> str:
    for case in reversed(list(bindings.ExecutionTarget)):
        if case.name.lower() not in capabilities.targets:
            return str(case.name.lower())
    raise NotAskable("the host offers every target")


def _builder_count(capabilities: Capabilities) -> int:
    return len(builders("add_f32", capabilities.encodings[_primary_encoding(capabilities)]))


# -- the examples, by clause ----------------------------------------------------------------


def _load_valid(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load("add_f32"), Load("mlp"))


def _load_autodetect(b: Bindings, c: Capabilities) -> Scenario:
    if "autodetect" not in c.encodings:
        raise NotAskable("the host declares no autodetect")
    return _scenario(Load("add_f32", encoding="autodetect"))


def _load_autodetect_unrecognised(b: Bindings, c: Capabilities) -> Scenario:
    if "autodetect" not in c.encodings:
        raise NotAskable("the host declares no autodetect")
    return _scenario(Load("add_f32", encoding="autodetect", builders=(b"\x08\x01 neither onnx nor anything",)))


def _encoding_unknown(b: Bindings, c: Capabilities) -> Scenario:
    primary = _encoding_value(b, _primary_encoding(c))
    return _scenario(Load(encoding=99), Load(encoding=256 + primary))


def _encoding_not_served(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load(encoding=_unserved_encoding(b, c)))


def _target_unknown(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load(target=len(b.ExecutionTarget) + 4))


def _target_unavailable(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load(target=_unavailable_target(b, c)))


def _builder_count_example(b: Bindings, c: Capabilities) -> Scenario:
    count = _builder_count(c)
    return _scenario(Load(builders=()), Load(builders=(b"\0",) * (count + 1)))


def _model_malformed(b: Bindings, c: Capabilities) -> Scenario:
    count = _builder_count(c)
    garbage = b"\x08\x01" + bytes(range(256)) * 4
    return _scenario(Load(builders=(garbage,) * count), Load(builders=(b"",) * count))


def _load_fault(*faults: str) -> ExampleBuilder:
    def example(b: Bindings, c: Capabilities) -> Scenario:
        return _scenario(*(Load(fault=fault) for fault in faults))  # type: ignore[arg-type]

    return example


#: Handle values a host that counts from 0 or 1 hands out first: forged after a call that must
#: make nothing, each must be unknown.
FIRST_HANDLES = range(8)


def _load_out_pointer(b: Bindings, c: Capabilities) -> Scenario:
    # A host that loads the graph before it finds that the result cannot be stored keeps a
    # graph the guest never got: the first handle values then name it, and must not.
    shows = ("load.out-pointer-out-of-bounds",)
    return _scenario(
        *(Load(fault="out-pointer-past-end") for _ in range(3)),
        *(InitExecutionContext(Forged(value), demonstrates=shows) for value in FIRST_HANDLES),
    )


def _load_by_name_valid(b: Bindings, c: Capabilities) -> Scenario:
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


def _unknown_name(b: Bindings, c: Capabilities) -> Scenario:
    # Names are compared byte for byte: a prefix of a known name, or the name in another case,
    # is another name.
    names = (b"no-such-graph", b"", b"ad", b"ADD")
    return _scenario(*(LoadByName(name) for name in names), graphs={"add": "add_f32"})


def _name_not_utf8(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"\xff\xfe\xfd"), graphs={"add": "add_f32"})


def _name_out_of_bounds(b: Bindings, c: Capabilities) -> Scenario:
    # "add" is the last three bytes of memory and the length is 4: only a host that reads what
    # lies in memory, short of the range, finds the graph.
    return _scenario(LoadByName(b"add", fault="name-past-end"), graphs={"add": "add_f32"})


def _name_at_memory_end(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"add", at_memory_end=True), graphs={"add": "add_f32"})


def _name_interior_nul(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"add\0"), LoadByName(b"add\0mlp"), graphs={"add": "add_f32", "mlp": "mlp"})


def _empty_name_past_end(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(LoadByName(b"", fault="empty-past-end"), graphs={"add": "add_f32"})


def _init_valid(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load(), InitExecutionContext(Made(0)), InitExecutionContext(Made(0)))


def _init_graph_unknown(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(Load(), InitExecutionContext(FORGED))


def _init_out_pointer(b: Bindings, c: Capabilities) -> Scenario:
    # A context made anyway takes a valid input under the first handle values; none was returned.
    value = example_inputs("add_f32")[0]
    f32 = tensor_type(b, "f32")
    shows = ("init_execution_context.out-pointer-out-of-bounds",)
    return _scenario(
        Load(),
        *(InitExecutionContext(Made(0), fault="out-pointer-past-end") for _ in range(3)),
        *(
            SetInput(Forged(handle), 0, value.shape, f32, value.tobytes(), demonstrates=shows)
            for handle in FIRST_HANDLES
        ),
    )


def _set_input_valid(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b)[:-1])


def _padding_ignored(b: Bindings, c: Capabilities) -> Scenario:
    inputs = example_inputs("add_f32")
    return _scenario(
        Load(), InitExecutionContext(Made(0)), *set_inputs(b, 1, "add_f32", inputs, padding=b"\xff\xa5\x5a")
    )


def _dynamic_dimension(b: Bindings, c: Capabilities) -> Scenario:
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
    def example(b: Bindings, c: Capabilities) -> Scenario:
        return _scenario(*ready(b, fixture), GetOutput(Made(1), 0, output_size(fixture)))

    return example


def _empty(b: Bindings, c: Capabilities) -> Scenario:
    # Once with the empty data anywhere, once starting at the very end of memory (in bounds).
    f32 = tensor_type(b, "f32")
    size = output_size("empty")
    operations: list[Operation] = [*ready(b, "empty"), GetOutput(Made(1), 0, size)]
    operations += [
        InitExecutionContext(Made(0)),
        SetInput(Made(5), 0, (0, 3), f32, b"", data_at_memory_end=True),
        Compute(Made(5)),
        GetOutput(Made(5), 0, size),
    ]
    return _scenario(*operations)


def _empty_data_past_end(b: Bindings, c: Capabilities) -> Scenario:
    f32 = tensor_type(b, "f32")
    return _scenario(
        Load("empty"),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (0, 3), f32, b"", fault="empty-data-past-end"),
    )


def _product_wraps(b: Bindings, c: Capabilities) -> Scenario:
    # 0x40000000 x 3 x 4 bytes is 3 x 2^32: 0 in 32 bits, the length of empty data; and
    # 0x40000001 x 3 x 4 is 3 x 2^32 + 12.
    f32 = tensor_type(b, "f32")
    return _scenario(
        Load("dynamic"),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (0x40000000, 3), f32, b""),
        SetInput(Made(1), 0, (0x40000001, 3), f32, b"\0" * 12),
    )


def _set_input_context_unknown(b: Bindings, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(*ready(b), SetInput(FORGED, 0, value.shape, tensor_type(b, "f32"), value.tobytes()))


def _index_out_of_range(b: Bindings, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 2, value.shape, tensor_type(b, "f32"), value.tobytes())
    )


def _tensor_type_unknown(b: Bindings, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 0, value.shape, len(b.TensorType) + 3, value.tobytes())
    )


def _tensor_type_mismatch(b: Bindings, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0].astype(np.int32)
    return _scenario(
        Load(), InitExecutionContext(Made(0)), SetInput(Made(1), 0, value.shape, tensor_type(b, "i32"), value.tobytes())
    )


def _shape_mismatch(b: Bindings, c: Capabilities) -> Scenario:
    value = example_inputs("add_f32")[0]
    f32 = tensor_type(b, "f32")
    return _scenario(
        Load(),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (3, 2), f32, value.tobytes()),
        SetInput(Made(1), 0, (6,), f32, value.tobytes()),
    )


def _data_length_mismatch(b: Bindings, c: Capabilities) -> Scenario:
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
    def example(b: Bindings, c: Capabilities) -> Scenario:
        value = example_inputs("add_f32")[0]
        f32 = tensor_type(b, "f32")
        return _scenario(
            Load(),
            InitExecutionContext(Made(0)),
            *(SetInput(Made(1), 0, value.shape, f32, value.tobytes(), fault=fault) for fault in faults),  # type: ignore[arg-type]
        )

    return example


def _data_out_of_bounds(b: Bindings, c: Capabilities) -> Scenario:
    # Data wholly or partly past the end; valid data one byte longer than itself at the end
    # (a host that reads only what lies in memory sees valid data); valid data ending in a zero
    # byte with that byte past the end (a host that reads a zero there sees valid data).
    value = example_inputs("add_f32")[0]
    value.flat[-1] = 0.0
    f32 = tensor_type(b, "f32")
    faults = ("data-past-end", "data-wraps", "data-one-past-end", "data-last-byte-past-end")
    return _scenario(
        Load(),
        InitExecutionContext(Made(0)),
        *(SetInput(Made(1), 0, value.shape, f32, value.tobytes(), fault=fault) for fault in faults),  # type: ignore[arg-type]
    )


def _record_out_of_bounds(b: Bindings, c: Capabilities) -> Scenario:
    # The record's last field (the data length) lies past the end. On the empty fixture a host
    # that reads past the end and finds zeros there would see a valid tensor and succeed.
    f32 = tensor_type(b, "f32")
    return _scenario(
        *_tensor_fault("record-past-end")(b, c).operations,
        Load("empty"),
        InitExecutionContext(Made(3)),
        SetInput(Made(4), 0, (0, 3), f32, b"", fault="record-past-end"),
    )


def _compute_valid(b: Bindings, c: Capabilities) -> Scenario:
    size = output_size("add_f32")
    again = example_inputs("add_f32", seed=1)
    return _scenario(
        *ready(b),
        GetOutput(Made(1), 0, size),
        *set_inputs(b, 1, "add_f32", again),
        Compute(Made(1)),
        # The output after the second compute must be the new inputs' one.
        GetOutput(Made(1), 0, size, demonstrates=("compute.valid",)),
        # Inputs stay set: computing again without setting them gives the same output.
        Compute(Made(1)),
        GetOutput(Made(1), 0, size, demonstrates=("compute.valid",)),
    )


def _compute_context_unknown(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), Compute(FORGED))


def _inputs_missing(b: Bindings, c: Capabilities) -> Scenario:
    first = example_inputs("add_f32")[:1]
    return _scenario(Load(), InitExecutionContext(Made(0)), *set_inputs(b, 1, "add_f32", first), Compute(Made(1)))


def _inference_fails(b: Bindings, c: Capabilities) -> Scenario:
    # Three values reshaped to 5 x 5: the fixture declares that inference fails (an i32 shape,
    # which every revision has).
    return _scenario(
        Load("reshape_i32"),
        InitExecutionContext(Made(0)),
        SetInput(Made(1), 0, (3,), tensor_type(b, "f32"), np.ones(3, np.float32).tobytes()),
        SetInput(Made(1), 1, (2,), tensor_type(b, "i32"), np.array([5, 5], np.int32).tobytes()),
        Compute(Made(1)),
    )


def _each_tensor_type(b: Bindings, c: Capabilities, reads: Callable[[str, Made], list[Operation]]) -> Scenario:
    """Each elementwise fixture of a tensor type the host takes, made ready, then ``reads(fixture, context)``."""
    operations: list[Operation] = []
    for name in (case.name.lower() for case in b.TensorType):
        if name not in c.tensor_types:
            continue
        fixture, start = f"add_{name}", len(operations)
        operations += [*ready(b, fixture, start=start), *reads(fixture, Made(start + 1))]
    return _scenario(*operations)


def _values(b: Bindings, c: Capabilities) -> Scenario:
    return _each_tensor_type(
        b, c, lambda fixture, context: [GetOutput(context, index, output_size(fixture, index)) for index in (0, 1)]
    )


def _multi_io(c: Capabilities) -> str:
    """The fixture of several inputs and outputs the host takes: in f64 and i64 if it can."""
    usable = [
        name
        for name in ("multi_io", "multi_io_common")
        if fixture_models.FIXTURES[name].tensor_types <= set(c.tensor_types)
    ]
    if not usable:
        raise NotAskable("the host takes the tensor types of no fixture with several inputs and outputs")
    return usable[0]


def _output_order(b: Bindings, c: Capabilities) -> Scenario:
    fixture = _multi_io(c)
    outputs = [
        GetOutput(Made(1), index, output_size(fixture, index), demonstrates=("get_output.output-order",))
        for index in (0, 1)
    ]
    return _scenario(*ready(b, fixture), *outputs)


def _larger_buffer(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(Made(1), 0, output_size("add_f32") + 13))


def _get_output_context_unknown(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(FORGED, 0, 64))


def _output_index(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b), GetOutput(Made(1), 2, 64))


def _before_compute(b: Bindings, c: Capabilities) -> Scenario:
    return _scenario(*ready(b)[:-1], GetOutput(Made(1), 0, 64))


def _output_fault(*faults: str) -> ExampleBuilder:
    def example(b: Bindings, c: Capabilities) -> Scenario:
        return _scenario(*ready(b), *(GetOutput(Made(1), 0, 64, fault=fault) for fault in faults))  # type: ignore[arg-type]

    return example


def _contexts_independent(b: Bindings, c: Capabilities) -> Scenario:
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


def _graphs_independent(b: Bindings, c: Capabilities) -> Scenario:
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


def _instances_independent(b: Bindings, c: Capabilities) -> Scenario:
    # Another instance loads graphs and makes contexts first; this one forges the values those
    # handles would have had in a table shared by every instance.
    earlier = _scenario(*ready(b), Load("mlp"), InitExecutionContext(Made(5)), InitExecutionContext(Made(0)))
    value = example_inputs("add_f32")[0]
    f32 = tensor_type(b, "f32")
    shows = ("state.instances-independent",)
    operations: list[Operation] = [InitExecutionContext(Forged(handle), demonstrates=shows) for handle in FIRST_HANDLES]
    operations += [
        SetInput(Forged(handle), 0, value.shape, f32, value.tobytes(), demonstrates=shows) for handle in FIRST_HANDLES
    ]
    return Scenario(tuple(operations), {}, (earlier,))


def _get_output_valid(b: Bindings, c: Capabilities) -> Scenario:
    # Every tensor type: a host that counts elements in bytes_written is right only for u8.
    return _each_tensor_type(b, c, lambda fixture, context: [GetOutput(context, 0, output_size(fixture))])


def _too_small(b: Bindings, c: Capabilities) -> Scenario:
    # Every tensor type, one byte short and empty: nothing may be written, within the buffer
    # or past it (a host that copies the whole output overruns the guest's buffer).
    return _each_tensor_type(
        b,
        c,
        lambda fixture, context: [GetOutput(context, 0, output_size(fixture) - 1), GetOutput(context, 0, 0)],
    )


SOAK_ROUNDS = 10_000
"""Rounds of load + init_execution_context in one guest (state.soak)."""

SOAK_MEMORY_BOUND = 256 << 20
"""Bytes an in-process host may grow by over the soak (state.soak)."""


def _soak(b: Bindings, c: Capabilities) -> Scenario:
    # The graph of each round stays loaded (no revision can unload), so a host either holds all
    # of them within the bound or refuses some with an errno; every call is judged by state.soak.
    shows = ("state.soak",)
    operations: list[Operation] = []
    for _ in range(SOAK_ROUNDS):
        load = len(operations)
        operations += [Load(demonstrates=shows), InitExecutionContext(Made(load), demonstrates=shows)]
    return Scenario(tuple(operations), memory_bound=SOAK_MEMORY_BOUND, within_limits=True, rounds=SOAK_ROUNDS)


def _concurrent(b: Bindings, c: Capabilities) -> Scenario:
    # Instances of one fixture computing rounds of inputs of their own, all at once: a host that
    # lets one instance's data reach another's compute gives some instance outputs of inputs
    # it never set.
    def rounds(instance: int) -> Scenario:
        operations: list[Operation] = [Load("mlp"), InitExecutionContext(Made(0))]
        for round_ in range(CONCURRENT_ROUNDS):
            inputs = example_inputs("mlp", seed=1000 * instance + round_)
            operations += [
                *set_inputs(b, 1, "mlp", inputs),
                Compute(Made(1)),
                GetOutput(Made(1), 0, output_size("mlp"), demonstrates=("state.concurrent-instances",)),
            ]
        return _scenario(*operations)

    first, *others = (rounds(instance) for instance in range(CONCURRENT_INSTANCES))
    return Scenario(first.operations, alongside=tuple(others))


CONCURRENT_INSTANCES = 4
"""Guest instances run at once for state.concurrent-instances."""

CONCURRENT_ROUNDS = 30
"""Rounds of set_input, compute and get_output each of them makes."""


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
    "load.builder-array-out-of-bounds": _load_fault(
        "builder-array-past-end", "builder-array-one-past-end", "builder-array-wraps"
    ),
    "load.builder-out-of-bounds": _load_fault("builder-past-end", "builder-one-past-end", "builder-wraps"),
    "load.out-pointer-out-of-bounds": _load_out_pointer,
    "load.out-pointer-misaligned": _load_fault("out-pointer-misaligned"),
    "load_by_name.valid": _load_by_name_valid,
    "load_by_name.unknown-name": _unknown_name,
    "load_by_name.name-not-utf8": _name_not_utf8,
    "load_by_name.name-out-of-bounds": _name_out_of_bounds,
    "load_by_name.name-at-memory-end": _name_at_memory_end,
    "load_by_name.name-interior-nul": _name_interior_nul,
    "load_by_name.empty-name-past-end": _empty_name_past_end,
    "init_execution_context.valid": _init_valid,
    "init_execution_context.graph-unknown": _init_graph_unknown,
    "init_execution_context.out-pointer-out-of-bounds": _init_out_pointer,
    "set_input.valid": _set_input_valid,
    "set_input.padding-ignored": _padding_ignored,
    "set_input.dynamic-dimension": _dynamic_dimension,
    "set_input.scalar": _fixture_round_trip("scalar"),
    "set_input.empty": _empty,
    "set_input.empty-data-past-end": _empty_data_past_end,
    "set_input.dimensions-product-wraps": _product_wraps,
    "set_input.context-unknown": _set_input_context_unknown,
    "set_input.index-out-of-range": _index_out_of_range,
    "set_input.tensor-type-unknown": _tensor_type_unknown,
    "set_input.tensor-type-mismatch": _tensor_type_mismatch,
    "set_input.shape-mismatch": _shape_mismatch,
    "set_input.data-length-mismatch": _data_length_mismatch,
    "set_input.record-out-of-bounds": _record_out_of_bounds,
    "set_input.record-misaligned": _tensor_fault("record-misaligned"),
    "set_input.dimensions-out-of-bounds": _tensor_fault(
        "dimensions-past-end", "dimensions-one-past-end", "dimensions-wrap"
    ),
    "set_input.data-out-of-bounds": _data_out_of_bounds,
    "compute.valid": _compute_valid,
    "compute.context-unknown": _compute_context_unknown,
    "compute.inputs-missing": _inputs_missing,
    "compute.inference-fails": _inference_fails,
    "get_output.valid": _get_output_valid,
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
    "state.instances-independent": _instances_independent,
    "state.soak": _soak,
    "state.concurrent-instances": _concurrent,
}
"""The example scenario of every clause a scenario can express (the link and memory clauses
need guests of their own; see :mod:`conformance.special`)."""
