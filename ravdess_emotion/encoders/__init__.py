"""Pretrained speech encoders: their checkpoints, and the networks rebuilt from them in Keras.

============== =========================================================================
module         what it holds
============== =========================================================================
``checkpoints`` where the weights come from: installed packages, a folder, a download
``ctranslate2`` reading CTranslate2 ``model.bin`` files without the CTranslate2 runtime
``whisper``     Whisper's log-mel front end and sizes (NumPy only)
``whisper_network`` its encoder in Keras, every hidden state pooled
============== =========================================================================

Only the feature views that run a network import this package (lazily, in the workers
that extract them): extraction of every other view never loads Keras.
"""
