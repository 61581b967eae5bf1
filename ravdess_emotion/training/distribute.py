"""Data-parallel training over every accelerator (or virtual CPU device) with ``keras.distribution``.

``python train_models.py --distribute ...`` calls :func:`enable_data_parallel` before
building any model: each batch is split across the devices and the weights are
replicated. Keras implements ``keras.distribution`` for the JAX backend only, so this
refuses any other backend with a clear message. The batch size must be a multiple of
the number of devices.

To try it on a CPU with two virtual devices (``jax`` is in requirements.txt)::

    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \\
        python train_models.py --distribute --batch-size 8 ...
"""

from __future__ import annotations

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras


class DistributionError(ValueError):
    """Data parallelism is not possible here (backend, or a batch size the devices cannot share)."""


def enable_data_parallel(batch_sizes: list[int] | tuple[int, ...] = ()) -> keras.distribution.DataParallel:
    """Set a ``keras.distribution.DataParallel`` over all devices as the global distribution.

    Parameters
    ----------
    batch_sizes
        The batch sizes that will be used; each must be divisible by the device count.

    Raises
    ------
    DistributionError
        On a backend other than JAX, or a batch size the devices cannot split evenly.
    """
    backend = keras.backend.backend()
    if backend != "jax":
        raise DistributionError(
            f"--distribute uses keras.distribution.DataParallel, which Keras implements for the JAX "
            f"backend only; this run uses {backend!r}. Install jax and set KERAS_BACKEND=jax "
            "(on a CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N gives N virtual devices)"
        )
    devices = keras.distribution.list_devices()
    uneven = sorted({b for b in batch_sizes if b % len(devices)})
    if uneven:
        raise DistributionError(
            f"batch size {uneven} cannot be split evenly over {len(devices)} devices; "
            f"use a multiple of {len(devices)} (--batch-size)"
        )
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    return distribution


def data_parallel_devices() -> list[str]:
    """The devices of the data-parallel distribution in effect (:func:`enable_data_parallel`); [] when none is."""
    distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if not isinstance(distribution, keras.distribution.DataParallel):
        return []
    return [str(device) for device in distribution.device_mesh.devices.ravel()]
