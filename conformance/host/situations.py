"""Every invalid situation the reference host recognises, and the errno it answers with.

This table is the reference host's reading of the spec. The WITX gives each errno one line
of meaning and names no errno for most mistakes, and real hosts disagree (Wasmtime answers a
bad handle with ``unsupported_operation``, WasmEdge with ``invalid_argument``, WAMR with
``runtime_error`` on some backends); the choice and its reason are written down here, once.
An errno is named, not numbered, and the first name the revision has is used: the 2022-10
revision lacks ``unsupported_operation``, ``too_large`` and ``not_found``.

Order of checks (this host's own; the spec model accepts the errno of any clause a call
breaks, whatever order a host checks in): guest memory arguments (bounds, then alignment)
and enum values as they are decoded, left to right; the result out-pointer; then the call's
own checks in the order each method documents.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conformance.bindings import ErrnoError
from conformance.revisions import Bindings


@dataclass(frozen=True, slots=True)
class Ruling:
    """The errno names to answer with, in order of preference, and why."""

    errnos: tuple[str, ...]
    rationale: str


class Situation(enum.Enum):
    """An invalid situation a call can meet; its value is the ruling."""

    NO_MEMORY_EXPORT = Ruling(
        ("missing_memory",),
        "The errno exists for exactly this: 'the caller module is missing a memory export'.",
    )
    GUEST_RANGE_OUT_OF_BOUNDS = Ruling(
        ("invalid_argument",),
        "A pointer and length the guest passed reach past the end of its memory, or wrap past 2^32: an "
        "invalid argument. A trap would end the guest for a mistake the spec lets it handle; reading or "
        "writing out of bounds is never acceptable.",
    )
    GUEST_POINTER_MISALIGNED = Ruling(
        ("invalid_argument",),
        "A pointer to a record, to u32 dimensions, to builders or to a u32 result is not aligned as the "
        "WITX layout of its type requires.",
    )
    ENCODING_UNKNOWN = Ruling(
        ("invalid_encoding",),
        "The graph_encoding value is none of the revision's cases: the errno named 'invalid encoding'.",
    )
    ENCODING_NOT_SERVED = Ruling(
        ("unsupported_operation", "invalid_encoding"),
        "The encoding is valid in the spec but no backend of this host loads it: the operation is "
        "unsupported; the encoding itself is not invalid.",
    )
    ENCODING_NOT_DETECTED = Ruling(
        ("invalid_encoding",),
        "autodetect was asked for and the bytes are in no encoding this host recognises.",
    )
    TARGET_UNKNOWN = Ruling(
        ("invalid_argument",),
        "The execution_target value is none of the revision's cases.",
    )
    TARGET_UNAVAILABLE = Ruling(
        ("unsupported_operation", "invalid_argument"),
        "The target is valid but this machine has no such device (no CUDA provider for gpu; no tpu).",
    )
    BUILDER_COUNT = Ruling(
        ("invalid_argument",),
        "The encoding takes a fixed number of builders (one for ONNX) and another number was passed.",
    )
    MODEL_MALFORMED = Ruling(
        ("invalid_argument",),
        "The builder bytes are not a model the backend can load: the argument is invalid. "
        "invalid_encoding is kept for the encoding parameter.",
    )
    MODEL_UNSUPPORTED = Ruling(
        ("unsupported_operation", "runtime_error"),
        "The bytes are a valid model (the onnx checker accepts them) but the backend implements not every "
        "operator or element type it uses: the host cannot perform the operation, and the model is not "
        "an invalid argument. The 2022-10 revision has no unsupported_operation; the backend failed.",
    )
    MODEL_TOO_LARGE = Ruling(
        ("too_large", "invalid_argument"),
        "The model is larger than the host's configured limit: 'graph is too large'.",
    )
    TOO_MANY_GRAPHS = Ruling(
        ("too_large", "busy"),
        "The host's limit on loaded graphs is reached; it refuses rather than grow without bound.",
    )
    TOO_MANY_CONTEXTS = Ruling(
        ("too_large", "busy"),
        "The host's limit on execution contexts is reached; it refuses rather than grow without bound.",
    )
    NAME_NOT_FOUND = Ruling(
        ("not_found",),
        "load_by_name of a name the host does not know: 'graph not found'.",
    )
    NAME_NOT_UTF8 = Ruling(
        ("invalid_argument",),
        "A WITX string is UTF-8; bytes that are not are an invalid argument.",
    )
    GRAPH_UNKNOWN = Ruling(
        ("invalid_argument",),
        "The graph handle was never returned by load or load_by_name in this instance.",
    )
    CONTEXT_UNKNOWN = Ruling(
        ("invalid_argument",),
        "The execution context handle was never returned by init_execution_context in this instance.",
    )
    INPUT_INDEX = Ruling(
        ("invalid_argument",),
        "The input index is not a position in the graph's input list.",
    )
    ENUM_VALUE_UNKNOWN = Ruling(
        ("invalid_argument",),
        "A value of an enum argument is none of the enum's cases.",
    )
    TENSOR_TYPE_UNKNOWN = Ruling(
        ("invalid_argument",),
        "The tensor_type value is none of the revision's cases.",
    )
    TENSOR_TYPE_MISMATCH = Ruling(
        ("invalid_argument",),
        "set_input must fail 'if the input tensor does not match the expected dimensions and type'.",
    )
    TENSOR_SHAPE_MISMATCH = Ruling(
        ("invalid_argument",),
        "set_input must fail 'if the input tensor does not match the expected dimensions and type'; a "
        "dynamic dimension matches any size, and a rank-0 input takes dimensions [] only: the length of "
        "the dimension list is the rank.",
    )
    TENSOR_DATA_LENGTH = Ruling(
        ("invalid_argument",),
        "tensor_data holds exactly product(dimensions) x element size bytes; any other length, including "
        "a product too large for guest memory, is invalid.",
    )
    TENSOR_TOO_LARGE = Ruling(
        ("too_large", "invalid_argument"),
        "The tensor is larger than the host's configured limit.",
    )
    INPUTS_MISSING = Ruling(
        ("invalid_argument",),
        "compute must fail 'if the inputs are not all defined'; the context is not ready, which the caller caused.",
    )
    OUTPUT_INDEX = Ruling(
        ("invalid_argument",),
        "The output index is not a position in the graph's output list.",
    )
    NOT_COMPUTED = Ruling(
        ("invalid_argument",),
        "get_output must fail 'if the inference has not yet run'.",
    )
    OUTPUT_BUFFER_TOO_SMALL = Ruling(
        ("too_large", "invalid_argument"),
        "The output does not fit in out_buffer_max_size bytes and 'the caller is responsible for "
        "allocating enough memory'. Nothing is written: neither the buffer nor bytes_written.",
    )
    BACKEND_FAILURE = Ruling(
        ("runtime_error",),
        "The backend failed for a reason no other row covers; the cause is logged.",
    )

    @property
    def ruling(self) -> Ruling:
        """The errno names and rationale of this situation."""
        ruling: Ruling = self.value
        return ruling

    def errno(self, bindings: Bindings) -> enum.IntEnum:
        """The errno of this situation in the revision that ``bindings`` describe."""
        errno_enum: type[enum.IntEnum] = bindings.NnErrno
        for name in self.ruling.errnos:
            if name.upper() in errno_enum.__members__:
                return errno_enum[name.upper()]
        raise LookupError(f"{bindings.__name__} has none of {self.ruling.errnos}")


class HostFault(ErrnoError):
    """A call failed in a situation of the table: carries the situation and the errno it rules."""

    def __init__(self, situation: Situation, bindings: Bindings, detail: str) -> None:
        super().__init__(situation.errno(bindings), f"{situation.name.lower()}: {detail}")
        self.situation = situation
        #: The detail alone, without the situation's name: what ``run --verbose`` shows a user.
        self.reason = detail
