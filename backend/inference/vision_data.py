"""The evaluation images of ``ImageClassifierInspector``: an image folder or an .npz read into
arrays, and the Pillow steps applied to one image (torchvision's Resize and CenterCrop written
out, the Behaviors page's thumbnail).

Why apart from the inspector: these run in the web process too (listing the set, drawing a
row's picture), with numpy and Pillow only; every problem is one ``InspectorError`` line naming
``inspector.options.data`` or ``crop``.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from backend.inference.png import encode_png
from backend.inference.protocol import InspectorError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
THUMBNAIL = 64  # pixels on the longer side of an image on the Behaviors page


@dataclass(frozen=True)
class ImageFolder:
    """An ImageFolder: sorted class names and, per image, its relative path and class index."""

    root: Path
    class_names: list[str]
    files: list[str]
    labels: np.ndarray


@dataclass(frozen=True)
class ImageArrays:
    """An .npz set: images as (N, C, H, W), labels and class names."""

    x: np.ndarray
    labels: np.ndarray
    class_names: list[str]


def _visible(name: str) -> bool:
    return not name.startswith(".")


def read_image_folder(root: Path) -> ImageFolder:
    """A folder per class (sorted names), images found recursively in sorted order.

    A class folder without images is kept (the model still has an output for it)."""
    where = f"inspector.options.data: {root}"
    try:
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and _visible(e.name))
    except OSError as exc:
        raise InspectorError(f"{where}: cannot list the folder ({exc.strerror or exc})") from None
    if not classes:
        raise InspectorError(f"{where}: has no class folders (a subfolder per class, holding its images)")
    files: list[str] = []
    labels: list[int] = []
    for index, name in enumerate(classes):
        for folder, dirs, names in os.walk(root / name):
            dirs[:] = sorted(d for d in dirs if _visible(d))
            for file in sorted(names):
                if _visible(file) and file.lower().endswith(IMAGE_EXTENSIONS):
                    files.append((Path(folder) / file).relative_to(root).as_posix())
                    labels.append(index)
    if not files:
        raise InspectorError(f"{where}: the class folders hold no images ({', '.join(IMAGE_EXTENSIONS)})")
    return ImageFolder(root, classes, files, np.asarray(labels, dtype=np.int64))


def read_npz(path: Path) -> ImageArrays:
    """``x`` (N, C, H, W), (N, H, W, C) or (N, H, W), uint8 or float; ``y``; ``class_names``.

    Read with ``allow_pickle=False``: an object array is refused, never unpickled."""
    where = f"inspector.options.data: {path}"
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ("x", "y", "class_names") if k not in npz.files]
            if missing:
                raise InspectorError(f"{where}: has no array '{missing[0]}' (it has: "
                                     f"{', '.join(npz.files) or 'nothing'}; needs x, y and class_names)")
            x, y, names = npz["x"], npz["y"], npz["class_names"]
    except InspectorError:
        raise
    except ValueError as exc:  # an object array: numpy refuses to unpickle it
        raise InspectorError(f"{where}: {str(exc).splitlines()[0]} (save class names as "
                             "np.array(names, dtype=str))") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise InspectorError(f"{where}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if not (x.dtype == np.uint8 or x.dtype.kind == "f"):
        raise InspectorError(f"{where}: x must be uint8 or float, got {x.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[3] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.transpose(0, 3, 1, 2)  # channels last -> channels first
    elif x.ndim != 4:
        raise InspectorError(f"{where}: x must be (N, C, H, W), (N, H, W, C) or (N, H, W), "
                             f"got shape {x.shape}")
    if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) != len(x):
        raise InspectorError(f"{where}: y must be {len(x)} integer class indices (one per image), "
                             f"got {y.dtype} of shape {y.shape}")
    if names.ndim != 1 or names.dtype.kind not in "US" or not len(names):
        raise InspectorError(f"{where}: class_names must be a 1-D array of strings, got {names.dtype} "
                             f"of shape {names.shape}")
    class_names = [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]
    if len(y) and (y.min() < 0 or y.max() >= len(class_names)):
        bad = int(y.max() if y.max() >= len(class_names) else y.min())
        raise InspectorError(f"{where}: y holds class {bad}, but there are {len(class_names)} class names")
    return ImageArrays(np.ascontiguousarray(x), y.astype(np.int64), class_names)


def thumbnail(image: Image.Image) -> bytes:
    """PNG bytes of ``image`` at most ``THUMBNAIL`` pixels on its longer side; a smaller image is
    enlarged by a whole factor (sharp pixels) so an 8×8 digit is still visible."""
    image = image.convert("L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB")
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    scale = max(1, THUMBNAIL // max(image.size))
    return encode_png(np.asarray(image, dtype=np.uint8), scale=scale)


def display_pixels(chw: np.ndarray) -> np.ndarray:
    """One (C, H, W) row of an .npz as uint8 (H, W) or (H, W, 3) for display: floats in [0, 1]
    are scaled by 255, other floats stretched to their own range."""
    image = chw[:3] if chw.shape[0] >= 3 else chw[:1]
    if image.dtype != np.uint8:
        low, high = float(image.min()), float(image.max())
        if low < 0 or high > 1:
            image = (image - low) / (high - low or 1.0)
        image = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)


def resized(image: Image.Image, size: int | tuple[int, int] | None) -> Image.Image:
    """torchvision's ``Resize`` on a PIL image: [height, width] exactly, or one size for the
    shorter side (the longer one keeps the aspect ratio, rounded down)."""
    if size is None:
        return image
    if isinstance(size, int):
        w, h = image.size
        short, long = (w, h) if w <= h else (h, w)
        other = int(size * long / short)
        width, height = (size, other) if w <= h else (other, size)
    else:
        height, width = size
    return image.resize((width, height), Image.Resampling.BILINEAR)


def center_crop(image: Image.Image, size: tuple[int, int], name: str) -> Image.Image:
    """torchvision's ``CenterCrop`` for a crop inside the image (a larger one is refused)."""
    height, width = size
    w, h = image.size
    if height > h or width > w:
        raise InspectorError(f"inspector.options.crop: {height}×{width} is larger than {name} after resize "
                             f"({h}×{w})")
    top, left = int(round((h - height) / 2.0)), int(round((w - width) / 2.0))
    return image.crop((left, top, left + width, top + height))
