"""The training loop, one learner batched over seeds (see docs/architecture.md):

    learner.py     per-seed pure functions (init, behaviour action, store, learn), vmapped over a seed axis
    gym_driver.py  feeds the learner from a Gymnasium vector environment, one copy per seed
    jax_driver.py  collects and learns in one compiled program for environments written in JAX (MultiGoal)
    group.py       the host loop shared by both drivers: chunks, evaluation, metrics, checkpoints, resume
"""
