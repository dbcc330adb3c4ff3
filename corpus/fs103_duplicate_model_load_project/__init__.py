"""FS103 across modules: a checkpoint constant in config.py reaches two experiments through the
default argument of the loader in models.py."""
