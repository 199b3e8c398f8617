"""Properties over fixtures, tensor values, memory layouts and hostile arguments.

Clauses: get_output.values (on the fixtures and on graphs built on the fly),
get_output.valid, get_output.larger-buffer, set_input.valid,
set_input.padding-ignored, set_input.dynamic-dimension, set_input.scalar, set_input.empty,
and every error clause of set_input, get_output, compute and init_execution_context that a
random argument can hit, plus the memory-fault clauses of every call.
"""

from __future__ import annotations

from typing import Any, get_args

import numpy as np
import numpy.typing as npt
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance import fixture_models, oracle
from conformance.examples import FORGED, ready, tensor_type
from conformance.plugin import Suite
from conformance.scenario import describe
from conformance.spec import (
    Compute,
    Forged,
    GetOutput,
    InitExecutionContext,
    Load,
    LoadFault,
    Made,
    NotAskable,
    Operation,
    OutputFault,
    Scenario,
    SetInput,
    TensorFault,
)
from conformance.tests.test_stateful import FORGED_VALUES

VALUE_FIXTURES = (
    "add_f16",
    "add_f32",
    "add_f64",
    "add_u8",
    "add_i32",
    "add_i64",
    "multi_io",
    "multi_io_common",
    "dynamic",
    "scalar",
    "empty",
    "mlp",
)


def _elements(dtype: np.dtype[Any]) -> st.SearchStrategy[Any]:
    if dtype.kind == "f":
        # NaN, infinities, -0.0 and subnormals included: hosts must pass them through.
        return hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True, allow_subnormal=True)
    return hnp.from_dtype(dtype)


@st.composite
def fixture_inputs(draw: st.DrawFn, suite: Suite) -> tuple[str, list[npt.NDArray[Any]]]:
    """A fixture the host can take, and input arrays for it with any element values."""
    usable = [
        name
        for name in VALUE_FIXTURES
        if fixture_models.FIXTURES[name].tensor_types <= set(suite.capabilities.tensor_types)
    ]
    fixture = draw(st.sampled_from(usable))
    rows = draw(st.integers(0, 6))
    arrays = []
    for spec in fixture_models.FIXTURES[fixture].inputs:
        shape = spec.concrete_shape({"N": rows})
        arrays.append(draw(hnp.arrays(spec.numpy_dtype, shape, elements=_elements(spec.numpy_dtype))))
    return fixture, arrays


def _run(suite: Suite, operations: list[Operation]) -> None:
    for position, operation in enumerate(operations):
        note(f"#{position} {describe(operation)}")
    try:
        suite.run(Scenario(tuple(operations)))
    except NotAskable as reason:
        assume(False)
        raise AssertionError from reason  # unreachable: assume(False) stops the example


@given(data=st.data())
def test_outputs_equal_native_onnxruntime_for_any_values_and_buffer_slack(
    wasi_nn_suite: Suite, data: st.DataObject
) -> None:
    suite = wasi_nn_suite
    fixture, inputs = data.draw(fixture_inputs(suite), label="fixture and inputs")
    padding = data.draw(st.binary(min_size=3, max_size=3), label="tensor record padding")
    operations: list[Operation] = [Load(fixture), InitExecutionContext(Made(0))]
    for index, (spec, value) in enumerate(zip(fixture_models.FIXTURES[fixture].inputs, inputs, strict=True)):
        operations.append(
            SetInput(
                Made(1),
                index,
                value.shape,
                tensor_type(suite.bindings, spec.tensor_type),
                value.tobytes(),
                padding=padding,
            )
        )
    operations.append(Compute(Made(1)))
    outputs = oracle.native_outputs(fixture, inputs)
    order = data.draw(st.permutations(range(len(outputs))), label="output order")
    for index in order:
        slack = data.draw(st.sampled_from([0, 0, 1, 3, 8, 64]), label="buffer slack")
        operations.append(GetOutput(Made(1), index, outputs[index].nbytes + slack))
    _run(suite, operations)


@given(data=st.data())
def test_graphs_built_on_the_fly_compute_like_native_onnxruntime(wasi_nn_suite: Suite, data: st.DataObject) -> None:
    suite = wasi_nn_suite
    assume("f32" in suite.capabilities.tensor_types)
    ops = data.draw(
        st.lists(st.sampled_from(fixture_models.ELEMENTWISE_OPS), min_size=1, max_size=4), label="operators"
    )
    shape = tuple(data.draw(st.lists(st.integers(1, 4), max_size=3), label="shape"))
    constant = data.draw(st.floats(-4, 4, width=32), label="constant")
    fixture = fixture_models.elementwise_chain(ops, shape, constant)
    value = data.draw(hnp.arrays(np.float32, shape, elements=_elements(np.dtype(np.float32))), label="input")
    size = oracle.native_outputs(fixture, [value])[0].nbytes
    _run(
        suite,
        [
            Load(fixture),
            InitExecutionContext(Made(0)),
            SetInput(Made(1), 0, shape, tensor_type(suite.bindings, "f32"), value.tobytes()),
            Compute(Made(1)),
            GetOutput(Made(1), 0, size),
        ],
    )


HOSTILE_LOAD = st.sampled_from(get_args(LoadFault))
HOSTILE_SET_INPUT = st.sampled_from(get_args(TensorFault))
HOSTILE_GET_OUTPUT = st.sampled_from(get_args(OutputFault))


@given(data=st.data())
def test_hostile_memory_layouts_get_errnos_and_leave_the_host_running(
    wasi_nn_suite: Suite, data: st.DataObject
) -> None:
    suite = wasi_nn_suite
    operations: list[Operation] = ready(suite.bindings)
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    f32 = tensor_type(suite.bindings, "f32")
    for _ in range(data.draw(st.integers(1, 4), label="hostile calls")):
        call = data.draw(st.sampled_from(["load", "set_input", "get_output", "init"]), label="call")
        if call == "load":
            operations.append(Load(fault=data.draw(HOSTILE_LOAD, label="fault")))
        elif call == "set_input":
            operations.append(
                SetInput(Made(1), 0, (2, 3), f32, value.tobytes(), fault=data.draw(HOSTILE_SET_INPUT, label="fault"))
            )
        elif call == "get_output":
            operations.append(GetOutput(Made(1), 0, 64, fault=data.draw(HOSTILE_GET_OUTPUT, label="fault")))
        else:
            operations.append(InitExecutionContext(Made(0), fault="out-pointer-past-end"))
    # The host must still work after all of that, and take data that ends where memory ends.
    operations.append(SetInput(Made(1), 0, (2, 3), f32, value.tobytes(), data_at_memory_end=True))
    operations.append(Compute(Made(1)))
    operations.append(GetOutput(Made(1), 0, 24))
    _run(suite, operations)


@given(data=st.data())
def test_invalid_arguments_get_the_errno_of_the_clause_they_violate(wasi_nn_suite: Suite, data: st.DataObject) -> None:
    suite = wasi_nn_suite
    operations: list[Operation] = ready(suite.bindings)
    contexts = st.one_of(st.just(Made(1)), st.builds(Forged, FORGED_VALUES), st.just(FORGED))
    for _ in range(data.draw(st.integers(1, 5), label="calls")):
        call = data.draw(st.sampled_from(["init", "set_input", "compute", "get_output", "load"]), label="call")
        if call == "init":
            graph = data.draw(st.one_of(st.just(Made(0)), st.builds(Forged, FORGED_VALUES)), label="graph")
            operations.append(InitExecutionContext(graph))
        elif call == "set_input":
            dims = tuple(
                data.draw(st.lists(st.sampled_from([0, 1, 2, 3, 6, 0x10000, 0x40000001]), max_size=3), label="dims")
            )
            data_size = data.draw(st.sampled_from([0, 1, 12, 23, 24, 25, 48]), label="data bytes")
            operations.append(
                SetInput(
                    data.draw(contexts, label="context"),
                    data.draw(st.integers(0, 3), label="index"),
                    dims,
                    data.draw(st.integers(0, 255), label="tensor type"),
                    bytes(data_size),
                )
            )
        elif call == "compute":
            operations.append(Compute(data.draw(contexts, label="context")))
        elif call == "get_output":
            operations.append(
                GetOutput(
                    data.draw(contexts, label="context"),
                    data.draw(st.integers(0, 3), label="index"),
                    data.draw(st.integers(0, 64), label="max size"),
                )
            )
        else:
            operations.append(
                Load(
                    encoding=data.draw(st.integers(0, 300), label="encoding"),
                    target=data.draw(st.integers(0, 9), label="target"),
                )
            )
    _run(suite, operations)
