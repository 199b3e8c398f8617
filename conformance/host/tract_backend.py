"""tract behind the reference host: the second ONNX engine, independent of onnxruntime.

The DeisLabs ONNX host that this project reproduces served ONNX through onnxruntime or tract,
chosen when the runtime started; ``wasi-nn-conformance run --backend tract`` does the same.
tract reads the model from the builder bytes in place (its C API's ``tract_onnx_load_buffer``,
which the Python package does not wrap), types and optimises it at load, so an operator or
element type it lacks is refused by ``load``, never by ``compute``.

Every WITX tensor type (f16, f32, f64, u8, i32, i64) is a tract datum type; a model whose
inputs or outputs use a type tract lacks (bfloat16, string) does not load. Dimensions a model
leaves open become tract symbols, resolved from the inputs at each run.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import tract
from tract.bindings import lib as _lib
from tract.inference_model import InferenceModel
from tract.tensor import DatumType

from conformance.host.backend import BackendFault, TensorSlot, refusal
from conformance.host.situations import Situation

_lib.tract_onnx_load_buffer.argtypes = [
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.POINTER(ctypes.c_void_p),
]

#: The WITX tensor_type case name of each tract datum type a WITX revision can name.
_TRACT_ELEMENT_TYPES = {
    DatumType.F16: "f16",
    DatumType.F32: "f32",
    DatumType.F64: "f64",
    DatumType.U8: "u8",
    DatumType.I32: "i32",
    DatumType.I64: "i64",
}


def _reason(error: Exception) -> str:
    """A tract error's chain of causes on one line, without the backtrace RUST_BACKTRACE adds.

    tract prints the context, then "Caused by:" and one numbered cause per line; a log line
    and ``run --verbose`` want ``context: cause: cause``.
    """
    text = str(error).split("\n\nStack backtrace:", 1)[0]
    causes = [re.sub(r"^\d+: ", "", line.strip()) for line in text.splitlines()]
    return ": ".join(cause for cause in causes if cause and cause != "Caused by:")


def _slot(name: str, fact: tract.Fact) -> TensorSlot:
    dimensions = []
    for axis in range(fact.rank()):
        dimension = fact.dim(axis)
        try:
            dimensions.append(dimension.to_int64())
        except tract.TractError:  # a symbol such as N: any size at run time
            dimensions.append(None)
    element = _TRACT_ELEMENT_TYPES.get(DatumType(fact.datum_type()))
    return TensorSlot(name, element, tuple(dimensions))


class TractGraph:
    """A graph typed and optimised by tract, with one execution state reused by every run."""

    def __init__(self, model: tract.Model) -> None:
        self.inputs: Sequence[TensorSlot] = [
            _slot(model.input_name(index), model.input_fact(index)) for index in range(model.input_count())
        ]
        self.outputs: Sequence[TensorSlot] = [
            _slot(model.output_name(index), model.output_fact(index)) for index in range(model.output_count())
        ]
        # The state of an ONNX graph keeps nothing between runs; spawning one per run would
        # cost half of a small graph's run.
        self._state = model.into_runnable().spawn_state()

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer with tract; its errors (a symbol given two sizes, ...) reach the host as they are."""
        try:
            outputs = self._state.run(list(inputs))
        except tract.TractError as error:
            raise RuntimeError(_reason(error)) from None
        return [output.to_numpy() for output in outputs]


class TractBackend:
    """tract: serves ``onnx``, and ``autodetect`` for ONNX bytes; cpu only."""

    SERVED = frozenset({"onnx", "autodetect"})

    def __init__(self) -> None:
        self._onnx = tract.onnx()

    def serves(self, encoding: str) -> bool:
        """Whether ``encoding`` is one this backend loads."""
        return encoding in self.SERVED

    def load(self, builders: Sequence[memoryview], encoding: str, target: str) -> TractGraph:
        """Load, type and optimise the single builder buffer. Checks: target, builders, model."""
        if target != "cpu":
            raise BackendFault(Situation.TARGET_UNAVAILABLE, f"tract runs on cpu only, not {target}")
        if len(builders) != 1:
            raise BackendFault(Situation.BUILDER_COUNT, f"onnx takes 1 builder, got {len(builders)}")
        model = builders[0]
        try:
            if not len(model):
                raise tract.TractError("the model is empty")
            return TractGraph(self._read(model).into_model())
        except tract.TractError as error:
            raise BackendFault(refusal(model, encoding), f"tract cannot load the model: {_reason(error)}") from None

    def _read(self, model: memoryview) -> InferenceModel:
        # numpy gives the address of the bytes without copying them, read-only or not; they
        # stay put for the call, which holds the view.
        data = np.frombuffer(model, np.uint8)
        loaded = ctypes.c_void_p()
        if _lib.tract_onnx_load_buffer(self._onnx.ptr, data.ctypes.data, data.size, ctypes.byref(loaded)) != 0:
            raise tract.TractError(_lib.tract_get_last_error().decode("utf-8", "replace"))
        return InferenceModel(loaded)


def tract_version() -> str:
    """The version of the tract library loaded."""
    return str(tract.version())
