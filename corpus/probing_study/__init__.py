"""A small truthfulness probing and steering study, split the way research code usually is:
config (constants), models (loading), activations (hook-based collection), experiments (probing,
a generation baseline, a steering sweep) and run (the entry point: python -m probing_study.run).

Several rules fire across module boundaries; each finding is annotated where it is reported."""
