"""Soft Q-Learning with an amortised SVGD sampler (Haarnoja et al., 2017, arXiv:1702.08165)."""

from ebrl.agents.sql.agent import SWEEPABLE, SQLConfig, SQLHyper, SQLState, make_agent

__all__ = ["SWEEPABLE", "SQLConfig", "SQLHyper", "SQLState", "make_agent"]
