"""A minimal PNG encoder for greyscale and RGB arrays (no imaging library needed)."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(pixels: np.ndarray, scale: int = 1) -> bytes:
    """PNG bytes of a uint8 (H, W) grey or (H, W, 3) RGB array, upscaled by ``scale``."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        raise ValueError(f"encode_png needs uint8 pixels, got {arr.dtype}")
    if scale > 1:
        arr = arr.repeat(scale, axis=0).repeat(scale, axis=1)
    if arr.ndim == 2:
        color_type, channels = 0, 1
    elif arr.ndim == 3 and arr.shape[2] == 3:
        color_type, channels = 2, 3
    else:
        raise ValueError(f"encode_png needs (H, W) or (H, W, 3), got shape {arr.shape}")
    h, w = arr.shape[:2]
    rows = arr.reshape(h, w * channels)
    raw = b"".join(b"\x00" + rows[i].tobytes() for i in range(h))
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6))
            + _chunk(b"IEND", b""))
