"""``python -m ravdess_emotion.corpus.demo``: write the synthetic demo dataset (see :func:`~ravdess_emotion.corpus.demo.dataset.main`)."""

# Run as ``python -m``, this module is ``__main__``, whose functions loky's workers
# cannot unpickle: it defines none, and runs the importable ``main``.
from ravdess_emotion.corpus.demo.dataset import main

if __name__ == "__main__":
    main()
