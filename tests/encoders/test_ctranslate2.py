"""Reading CTranslate2 checkpoints: the file layout its writer documents, dtypes, quantised weights (``encoders.ctranslate2``)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.encoders.ctranslate2 import CheckpointError, read_variables, variable_shapes

DTYPE_IDS = {"float32": 0, "int8": 1, "int16": 2, "float16": 4}


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_checkpoint(
    path: Path, variables: dict[str, np.ndarray], aliases: dict[str, str] | None = None
) -> Path:
    """A ``model.bin`` laid out as CTranslate2's ``ModelSpec._serialize`` writes it (version 6)."""
    out = (
        struct.pack("<I", 6) + _string("TestSpec") + struct.pack("<I", 1) + struct.pack("<I", len(variables))
    )
    for name, array in variables.items():
        out += (
            _string(name)
            + struct.pack("<B", array.ndim)
            + b"".join(struct.pack("<I", d) for d in array.shape)
        )
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        out += struct.pack("<B", DTYPE_IDS[array.dtype.name]) + struct.pack("<I", len(data)) + data
    aliases = aliases or {}
    out += struct.pack("<I", len(aliases)) + b"".join(_string(a) + _string(t) for a, t in aliases.items())
    path.write_bytes(out)
    return path


def test_variables_come_back_as_float32_with_their_shapes_and_aliases(tmp_path: Path) -> None:
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    quantised = np.array([[2, 4], [6, 8]], np.int8)
    path = write_checkpoint(
        tmp_path / "model.bin",
        {
            "encoder/w": weight,
            "encoder/q": quantised,
            "encoder/q_scale": np.array([2.0, 4.0], np.float32),
            "encoder/num_heads": np.array(8, np.int16),
            "decoder/x": np.zeros(3, np.float32),
        },
        aliases={"encoder/w_alias": "encoder/w"},
    )
    spec, variables = read_variables(path, prefix="encoder/")
    assert spec == "TestSpec" and "decoder/x" not in variables
    assert variables["encoder/w"].dtype == np.float32
    np.testing.assert_array_equal(variables["encoder/w"], weight.astype(np.float32))
    np.testing.assert_array_equal(variables["encoder/w_alias"], variables["encoder/w"])
    np.testing.assert_allclose(variables["encoder/q"], [[1, 2], [1.5, 2]])  # q / scale, per output row
    assert "encoder/q_scale" not in variables and int(variables["encoder/num_heads"]) == 8
    assert variable_shapes(path) == {
        "encoder/w": (2, 3),
        "encoder/q": (2, 2),
        "encoder/q_scale": (2,),
        "encoder/num_heads": (),
        "decoder/x": (3,),
    }


def test_what_is_not_a_checkpoint_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write_checkpoint(tmp_path / "model.bin", {"encoder/w": np.zeros((2, 2), np.float32)})
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match=r"model\.bin: truncated"):
        read_variables(path)
    path.write_bytes(struct.pack("<I", 5) + b"\0" * 20)
    with pytest.raises(CheckpointError, match="binary version 5; this reader understands version 6"):
        variable_shapes(path)
