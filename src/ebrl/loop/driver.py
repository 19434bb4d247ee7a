"""What every driver is: the protocol the trainer steps, and the one object that carries a driver's resumable
state, whichever driver it is."""

import dataclasses
from typing import Any, Literal, Protocol

DriverKind = Literal["gym", "jax"]


@dataclasses.dataclass(frozen=True)
class DriverState:
    """The training environments' state at a step, all an exact resume needs of them: per seed a JSON part (the
    Gymnasium driver's observation, return, episode counters and simulator snapshot) and, for the JAX driver, a
    pytree part (its EnvSlot, leading seed axis). Each driver fills its own part and leaves the other empty."""

    kind: DriverKind
    host: tuple[dict, ...]
    device: Any = None


class Driver(Protocol):
    kind: DriverKind

    def chunk(self, states, step: int, n: int, learn: bool, updates: int) -> tuple[Any, dict | None, list]:
        """Collect n steps of every seed with the behaviour policy and store them (and, if `learn`, run n × updates
        updates per seed): (states, mean update metrics per seed or None, finished returns per seed)."""
        ...

    def snapshot(self, step: int) -> DriverState: ...

    def close(self) -> None: ...
