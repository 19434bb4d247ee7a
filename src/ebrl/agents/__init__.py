"""The algorithms, and the registry ALGORITHMS that the loop and the command line read; the interface they share
(Transition, Agent, Algorithm) is in ebrl.core."""

from ebrl.core import Agent, Algorithm, Transition


def _registry() -> dict[str, Algorithm]:
    from ebrl.agents import s2ac, sac, sql  # not at the top: each imports ebrl.agents.common, a module of this package

    return {"s2ac": Algorithm("s2ac", s2ac.S2ACConfig, s2ac.make_agent, s2ac.SWEEPABLE),
            "sac": Algorithm("sac", sac.SACConfig, sac.make_agent, sac.SWEEPABLE),
            "sql": Algorithm("sql", sql.SQLConfig, sql.make_agent, sql.SWEEPABLE)}


ALGORITHMS: dict[str, Algorithm] = _registry()

__all__ = ["ALGORITHMS", "Agent", "Algorithm", "Transition"]
