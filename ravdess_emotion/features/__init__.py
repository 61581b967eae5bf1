"""Stage 2, features: settings, audio features and functionals, video frames, the frame store, the loader."""
