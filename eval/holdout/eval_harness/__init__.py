"""A small zero-shot evaluation harness (multiple choice by log-likelihood, and generation)."""
