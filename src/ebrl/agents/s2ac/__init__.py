"""S2AC, the Stein Soft Actor-Critic: an SVGD sampler over Q as the actor, with a closed-form entropy
(Messaoud et al., ICLR 2024, arXiv:2405.00987)."""

from ebrl.agents.s2ac.agent import SWEEPABLE, S2ACConfig, S2ACHyper, S2ACState, make_agent

__all__ = ["SWEEPABLE", "S2ACConfig", "S2ACHyper", "S2ACState", "make_agent"]
