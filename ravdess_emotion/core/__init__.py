"""The bottom layer: writing files atomically, the shared errors, RAVDESS facts, the Keras backend, help text."""
