"""Reading CTranslate2 checkpoints (``model.bin``) without the CTranslate2 runtime.

A faster-whisper model directory holds ``model.bin`` in CTranslate2's format, which its
writer (``ctranslate2/specs/model_spec.py``, ``ModelSpec._serialize``) lays out as, all
integers little-endian and each string a ``uint16`` length (its trailing NUL included),
its bytes and a NUL::

    uint32  binary version (6)
    string  spec name ("WhisperSpec")
    uint32  spec revision
    uint32  number of variables, then for each:
            string name, uint8 rank, uint32 dims[rank], uint8 dtype id, uint32 byte count, bytes
    uint32  number of aliases, then for each: string alias, string target

Dtype ids: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
SUPPORTED_VERSION = 6


class CheckpointError(ValueError):
    """A file that is not a CTranslate2 checkpoint this reader understands; the message names it."""


class _Cursor:
    """Little-endian reading through a buffer, naming the file when it runs out."""

    def __init__(self, buffer: memoryview | mmap.mmap, path: Path) -> None:
        self.buffer, self.position, self.path = buffer, 0, path

    def unpack(self, fmt: str) -> int:
        size = struct.calcsize("<" + fmt)
        if self.position + size > len(self.buffer):
            raise CheckpointError(f"{self.path}: truncated CTranslate2 checkpoint")
        (value,) = struct.unpack_from("<" + fmt, self.buffer, self.position)
        self.position += size
        return value

    def string(self) -> str:
        length = self.unpack("H")
        raw = bytes(self.buffer[self.position : self.position + length])
        self.position += length
        if len(raw) != length or not raw.endswith(b"\0"):
            raise CheckpointError(f"{self.path}: malformed string at byte {self.position - length}")
        return raw[:-1].decode("utf-8")

    def skip(self, size: int) -> tuple[int, int]:
        start = self.position
        self.position += size
        if self.position > len(self.buffer):
            raise CheckpointError(f"{self.path}: truncated CTranslate2 checkpoint")
        return start, self.position


def _walk(
    path: Path, buffer: memoryview | mmap.mmap
) -> tuple[str, dict[str, tuple[tuple[int, ...], str, int, int]], dict[str, str]]:
    """The spec name, each variable's (shape, dtype, start, end) in ``buffer``, and the aliases."""
    cursor = _Cursor(buffer, path)
    version = cursor.unpack("I")
    if version != SUPPORTED_VERSION:
        raise CheckpointError(
            f"{path}: CTranslate2 binary version {version}; this reader understands version {SUPPORTED_VERSION}"
        )
    spec = cursor.string()
    cursor.unpack("I")  # the spec's revision
    variables = {}
    for _ in range(cursor.unpack("I")):
        name = cursor.string()
        shape = tuple(cursor.unpack("I") for _ in range(cursor.unpack("B")))
        dtype_id = cursor.unpack("B")
        if dtype_id >= len(DTYPES):
            raise CheckpointError(f"{path}: unknown dtype id {dtype_id} of {name}")
        start, end = cursor.skip(cursor.unpack("I"))
        variables[name] = (shape, DTYPES[dtype_id], start, end)
    aliases = {}
    for _ in range(cursor.unpack("I")):
        alias = cursor.string()
        aliases[alias] = cursor.string()
    return spec, variables, aliases


def variable_shapes(model_bin: str | Path) -> dict[str, tuple[int, ...]]:
    """Every variable's shape, read without loading the weights (the file is mapped, not read)."""
    path = Path(model_bin)
    with path.open("rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        _, variables, _ = _walk(path, mapped)
    return {name: shape for name, (shape, _, _, _) in variables.items()}


def read_variables(model_bin: str | Path, prefix: str = "") -> tuple[str, dict[str, np.ndarray]]:
    """The spec name and the variables of a checkpoint whose names start with ``prefix``, as NumPy arrays.

    Floating-point weights come back as float32 (bfloat16 decoded); integer scalars
    (``encoder/num_heads``) as they are. A quantised weight (int8 or int16 with a
    ``<name>_scale``) is dequantised, ``q / scale`` per output row.

    Raises
    ------
    CheckpointError
        When the file is not a version-6 CTranslate2 checkpoint, or is cut short.
    """
    path = Path(model_bin)
    data = memoryview(path.read_bytes())
    spec, variables, aliases = _walk(path, data)
    arrays: dict[str, np.ndarray] = {}
    wanted = {name for name in variables if name.startswith(prefix)}
    wanted |= {f"{name}_scale" for name in wanted if f"{name}_scale" in variables}
    for name in wanted:
        shape, dtype, start, end = variables[name]
        raw = data[start:end]
        if dtype == "bfloat16":
            array = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(raw, np.dtype(dtype).newbyteorder("<"))
        array = array.reshape(shape)
        arrays[name] = array.astype(np.float32) if array.dtype.kind == "f" else array.copy()
    for alias, target in aliases.items():
        if alias.startswith(prefix) and target in arrays:
            arrays[alias] = arrays[target]
    for name in [n for n in arrays if n.endswith("_scale") and n[: -len("_scale")] in arrays]:
        base = name[: -len("_scale")]
        if arrays[base].dtype.kind in "iu":
            scale = arrays.pop(name).astype(np.float32)
            scale = scale.reshape((-1,) + (1,) * (arrays[base].ndim - 1)) if scale.ndim == 1 else scale
            arrays[base] = arrays[base].astype(np.float32) / scale
    return spec, arrays
