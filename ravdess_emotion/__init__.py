"""RAVDESS emotion recognition from speech and face video, one package ordered by pipeline stage.

Data flows one way, and imports point the same way (down), as the import-linter
contract in ``pyproject.toml`` keeps true::

    training | prediction   recipes, actor splits, fit/refit/resume, reports; predicting files
    batches  | models       training inputs and streamed video batches; the Keras networks
    features                settings, audio, functionals, video frames, the frame store, the loader
    corpus                  media probing, download, synthetic demo data, organize + manifest
    core                    file writing, errors, RAVDESS facts, the Keras backend, help text

The design card's scripts at the top of the repository (``organize_data.py``,
``data_loader.py``, ``emotion_models.py``, ``train_models.py``, ``predict.py``) are the
command lines over these stages. Importing the package imports nothing else: each
stage is imported where it is used, so extraction workers never load Keras.
"""
