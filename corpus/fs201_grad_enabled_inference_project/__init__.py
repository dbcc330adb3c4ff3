"""FS201 across modules: a validation helper called from a training loop, and a notebook-style
script that turns autograd off globally before analysing a model."""
