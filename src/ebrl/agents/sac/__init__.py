"""Soft Actor-Critic with a learned temperature (Haarnoja et al., 2018, arXiv:1812.05905)."""

from ebrl.agents.sac.agent import SWEEPABLE, SACConfig, SACHyper, SACState, make_agent

__all__ = ["SWEEPABLE", "SACConfig", "SACHyper", "SACState", "make_agent"]
