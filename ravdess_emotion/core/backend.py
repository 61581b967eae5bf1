"""The Keras backend: chosen, and started quietly, before Keras is imported.

Import this module before ``keras`` (every script and module of the project that uses
Keras does)::

    import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)
    # isort: split
    import keras

It sets ``KERAS_BACKEND`` to ``tensorflow`` unless the environment already names a
backend (``KERAS_BACKEND=jax`` or ``torch`` work too). With TensorFlow it imports it and
lets it look for devices while its C++ log lines are held back, then passes on every
line except the start-up notices that only say what a CPU machine is: oneDNN is on, no
CUDA driver was found, ``cuInit`` failed, and absl's note that logging is not set up.
Anything else TensorFlow prints while starting, an error above all, still reaches
stderr; messages after start-up are never touched.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

CPU_START_UP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} .*"  # absl INFO and WARNING lines: I0000 00:00:1796161766.222609 9704 port.cc:153] ...
    r"|E\d{4} .*\] failed call to cuInit: .*"  # "no GPU here", logged as an error
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.)$"
)


def start_tensorflow_quietly() -> None:
    """Import TensorFlow and initialise its devices, dropping the :data:`CPU_START_UP_NOISE` lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe and its cuInit line happen here
        except ImportError:
            pass  # Keras will say that the backend is missing when it is imported
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        kept = [
            line
            for line in captured.read().decode(errors="replace").splitlines(keepends=True)
            if not CPU_START_UP_NOISE.match(line.rstrip("\n"))
        ]
    if kept:
        sys.stderr.write("".join(kept))
        sys.stderr.flush()


os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's later INFO and WARNING logs
if os.environ["KERAS_BACKEND"] == "tensorflow" and "tensorflow" not in sys.modules:
    start_tensorflow_quietly()
