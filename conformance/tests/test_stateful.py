"""A state machine over graphs, contexts and inputs, run as one script per example.

Clauses: every clause of load, init_execution_context, set_input, compute and get_output
that a sequence of valid and invalid calls reaches, and state.contexts-independent and
state.graphs-independent: many loads, interleaved contexts, handles used after other loads,
handles of failed calls and forged handles.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from conformance import fixture_models, oracle
from conformance.examples import example_inputs, tensor_type
from conformance.plugin import Suite
from conformance.scenario import describe
from conformance.spec import (
    Compute,
    Forged,
    GetOutput,
    HandleArgument,
    InitExecutionContext,
    Load,
    Made,
    NotAskable,
    Operation,
    Scenario,
    SetInput,
)

#: Handles no host hands out in a short run (they count up from 0 or 1); a forged value that
#: still meets a real handle is not judged (see conformance.scenario).
FORGED_VALUES = st.integers(0x10000, 0xFFFFFFFF)

STATE_FIXTURES = ("add_f32", "mlp", "multi_io", "add_i64", "dynamic")


class HostStateMachine(RuleBasedStateMachine):
    """Builds a scenario step by step; the host runs it once, at the end."""

    suite: ClassVar[Suite]

    graphs = Bundle("graphs")
    contexts = Bundle("contexts")

    def __init__(self) -> None:
        super().__init__()
        self.operations: list[Operation] = []
        self.fixture_of: dict[int, str] = {}

    def _add(self, operation: Operation) -> int:
        self.operations.append(operation)
        note(f"#{len(self.operations) - 1} {describe(operation)}")
        return len(self.operations) - 1

    def _usable(self) -> list[str]:
        types = set(self.suite.capabilities.tensor_types)
        return [name for name in STATE_FIXTURES if fixture_models.FIXTURES[name].tensor_types <= types]

    @rule(target=graphs, data=st.data())
    def load(self, data: st.DataObject) -> HandleArgument:
        fixture = data.draw(st.sampled_from(self._usable()), label="fixture")
        position = self._add(Load(fixture))
        self.fixture_of[position] = fixture
        return Made(position)

    @rule(target=graphs, encoding=st.integers(6, 300))
    def load_badly(self, encoding: int) -> HandleArgument:
        # The slot of a failed load holds no handle: using it later is using a forged one.
        return Made(self._add(Load(encoding=encoding)))

    @rule(target=graphs, value=FORGED_VALUES)
    def forge_graph(self, value: int) -> HandleArgument:
        return Forged(value)

    @rule(target=contexts, graph=graphs)
    def init(self, graph: HandleArgument) -> HandleArgument:
        position = self._add(InitExecutionContext(graph))
        if isinstance(graph, Made) and graph.op in self.fixture_of:
            self.fixture_of[position] = self.fixture_of[graph.op]
        return Made(position)

    @rule(context=contexts, data=st.data())
    def set_input(self, context: HandleArgument, data: st.DataObject) -> None:
        fixture = self.fixture_of.get(context.op) if isinstance(context, Made) else None
        fixture = fixture or data.draw(st.sampled_from(self._usable()), label="fixture guessed")
        specs = fixture_models.FIXTURES[fixture].inputs
        index = data.draw(st.integers(0, len(specs)), label="index")  # len(specs) is out of range
        spec = specs[min(index, len(specs) - 1)]
        value = example_inputs(fixture, seed=data.draw(st.integers(0, 3), label="seed"))[min(index, len(specs) - 1)]
        dims: tuple[int, ...] = value.shape
        if data.draw(st.booleans(), label="wrong shape"):
            dims = (*dims, 1)
        self._add(SetInput(context, index, dims, tensor_type(self.suite.bindings, spec.tensor_type), value.tobytes()))

    @rule(context=contexts, seed=st.integers(0, 3))
    def infer(self, context: HandleArgument, seed: int) -> None:
        """Set every input right, compute and read the first output: the values must be native's."""
        fixture = self.fixture_of.get(context.op) if isinstance(context, Made) else None
        if fixture is None:
            return
        inputs = example_inputs(fixture, seed)
        for index, (spec, value) in enumerate(zip(fixture_models.FIXTURES[fixture].inputs, inputs, strict=True)):
            self._add(
                SetInput(
                    context, index, value.shape, tensor_type(self.suite.bindings, spec.tensor_type), value.tobytes()
                )
            )
        self._add(Compute(context))
        tags = []
        if len([position for position in self.fixture_of if isinstance(self.operations[position], Load)]) > 1:
            tags.append("state.graphs-independent")
        if (
            len(
                [
                    position
                    for position in self.fixture_of
                    if isinstance(self.operations[position], InitExecutionContext)
                ]
            )
            > 1
        ):
            tags.append("state.contexts-independent")
        size = oracle.native_outputs(fixture, inputs)[0].nbytes
        self._add(GetOutput(context, 0, size, demonstrates=tuple(tags)))

    @rule(context=contexts)
    def compute(self, context: HandleArgument) -> None:
        self._add(Compute(context))

    @rule(context=contexts, index=st.integers(0, 2), size=st.sampled_from([0, 4, 16, 24, 48, 64, 4096]))
    def get_output(self, context: HandleArgument, index: int, size: int) -> None:
        self._add(GetOutput(context, index, size))

    @rule(value=FORGED_VALUES)
    def forged_context(self, value: int) -> None:
        self._add(Compute(Forged(value)))

    def teardown(self) -> None:
        if not self.operations:
            return
        # A scenario the host cannot be asked (a fixture type it lacks) is simply not run.
        with contextlib.suppress(NotAskable):
            self.suite.run(Scenario(tuple(self.operations)))


def test_state_machine_of_graphs_contexts_and_inputs(wasi_nn_suite: Suite) -> None:
    HostStateMachine.suite = wasi_nn_suite
    current = settings()
    run_state_machine_as_test(
        HostStateMachine,
        settings=settings(current, max_examples=max(10, current.max_examples // 2), stateful_step_count=25),
    )
