"""FS101 across modules: a refusal-steering sweep split into config, models, steering and a runner."""
