"""Stage 4, training: recipes, actor splits, the run configuration, fitting, reports, the training API."""
