"""Reading and checking the course's HDF5 files (Happy House, SIGNS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnn_course.datasets._registry import DatasetError


def read_h5(path: Path, spec: dict[str, tuple[tuple, str]]) -> dict[str, np.ndarray]:
    """Read the datasets of an HDF5 file, checking each key's shape and dtype kind.

    ``spec`` maps a key to (shape, dtype kind): a shape entry of None accepts any
    length; the kind is a numpy kind letter ("u" unsigned, "i" signed, "f", "S").
    Raises DatasetError naming the file, what was found and what was expected.
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path} is missing")
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in spec if k not in f]
            if missing:
                raise DatasetError(f"{path} has keys {sorted(f.keys())}; expected {sorted(spec)} "
                                   f"(missing: {', '.join(missing)})")
            data = {k: f[k][()] for k in spec}
    except DatasetError:
        raise
    except Exception as error:  # h5py raises OSError or others on truncated / non-HDF5 files
        raise DatasetError(f"{path} cannot be read as HDF5 ({type(error).__name__}: {error}); "
                           "the file may be truncated or corrupt: remove it and load again"
                           ) from error
    for key, (shape, kind) in spec.items():
        value = data[key]
        if len(value.shape) != len(shape) or any(
                s is not None and s != v for s, v in zip(shape, value.shape, strict=True)):
            raise DatasetError(f"{path}: {key} has shape {value.shape}, expected {shape}")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if value.dtype.kind not in kinds:
            raise DatasetError(f"{path}: {key} has dtype {value.dtype}, expected kind {kind!r}")
    return data
