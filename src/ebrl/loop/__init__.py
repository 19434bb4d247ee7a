"""The training loop, one learner batched over seeds (see docs/architecture.md):

    learner.py     per-seed pure functions (init, behaviour action, store, learn), vmapped over a seed axis
    driver.py      what every driver is, and the resumable state it carries
    gym_driver.py  feeds the learner from a Gymnasium vector environment, one copy per seed
    jax_driver.py  collects and learns in one compiled program for environments written in JAX (MultiGoal)
    evaluate.py    the evaluation protocol: N episodes in lockstep, one batched action per step
    trainer.py     the host loop shared by both drivers: chunks, evaluation, and the events observers persist
    snapshot.py    the trainer's snapshot cut into one checkpoint per seed, and stacked back for a resume
"""
