"""A well-written probing and steering project that must produce no findings at all: the model is
loaded once in bf16 through a cache, activations are collected under no_grad by hooks that a
context manager removes, stored detached on the CPU, cached to disk as CPU tensors, probes log
loss.item(), and steering uses a temporary hook instead of editing weights.

Entry point: python -m clean.main --dataset cities"""
