"""``ImageClassifierInspector``: image classifiers configured without Python.

Why: most compression work on vision models has the same three parts, a network definition the
user already has (a factory function), one ``state_dict`` per model and a labelled image set.
Naming this class in the config is all it takes:

    inspector:
      module: backend.inference.vision
      class: ImageClassifierInspector
      options:
        architecture: my_models:resnet_small     # a callable returning the nn.Module
        architecture_kwargs: {num_classes: 10}
        data: eval_images                         # a folder per class, or an .npz (x, y, class_names)
        resize: 36                                # the shorter side; or [height, width]
        crop: 32                                  # a centre crop, after resize
        mean: [0.49, 0.48, 0.45]
        std: [0.25, 0.24, 0.26]

Pixels are scaled to [0, 1] (uint8 / 255; float arrays are taken as they are), then normalised
with ``mean`` and ``std`` per channel, as torchvision's ``ToTensor`` + ``Normalize`` do.
``dataset`` and ``render_instance`` run in the web process, so they use numpy and Pillow only;
images are read and the factory imported and called only in background workers.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import nn

from backend.experiment.forest import Model
from backend.experiment.schema import did_you_mean
from backend.inference.protocol import EvalDataset, InspectorError, RenderedInstance
from backend.inference.torch_base import TorchInspector
from backend.inference.vision_data import (
    ImageArrays,
    ImageFolder,
    center_crop,
    display_pixels,
    read_image_folder,
    read_npz,
    resized,
    thumbnail,
)
from backend.inference.vision_weights import fit_problem, state_dict_of
from backend.infra.plugins import plugin_folder

OPTIONS = ("architecture", "architecture_kwargs", "data", "resize", "crop", "mean", "std", "grayscale")


class ImageClassifierInspector(TorchInspector):
    """An image classifier per ``state_dict`` checkpoint, on an image folder or an .npz."""

    version = "1"

    # --- options --------------------------------------------------------------------------
    def _check_options(self) -> None:
        for key in self.options:
            if key not in OPTIONS:
                raise InspectorError(f"inspector.options.{key}: unknown option for ImageClassifierInspector"
                                     f"{did_you_mean(key, OPTIONS)} (options: {', '.join(OPTIONS)})")

    @cached_property
    def _data_path(self) -> Path:
        self._check_options()
        data = self.options.get("data")
        if not isinstance(data, str) or not data:
            raise InspectorError("inspector.options.data: required: a folder with a subfolder per class, "
                                 "or an .npz file with arrays x, y and class_names")
        path = self.resolve_path(data)
        if not path.exists():
            raise InspectorError(f"inspector.options.data: {path} does not exist")
        return path

    @property
    def _is_folder(self) -> bool:
        return self._data_path.is_dir()

    def _size_option(self, name: str) -> int | tuple[int, int] | None:
        """``resize`` or ``crop``: one size in pixels, or [height, width]."""
        value = self.options.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
            raise InspectorError(f"inspector.options.{name}: must be one size in pixels or [height, width], "
                                 f"got {value!r}")
        return int(value[0]), int(value[1])

    @cached_property
    def _resize(self) -> int | tuple[int, int] | None:
        return self._size_option("resize")

    @cached_property
    def _crop(self) -> tuple[int, int] | None:
        crop = self._size_option("crop")
        return (crop, crop) if isinstance(crop, int) else crop

    @cached_property
    def _grayscale(self) -> bool:
        value = self.options.get("grayscale", False)
        if not isinstance(value, bool):
            raise InspectorError(f"inspector.options.grayscale: must be true or false, got {value!r}")
        return value

    def _channel_values(self, name: str, default: float, channels: int) -> np.ndarray:
        """``mean`` or ``std`` as a (C, 1, 1) float32 array: one number, or one per channel."""
        value = self.options.get(name, default)
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise InspectorError(f"inspector.options.{name}: must be a number or a list of numbers, "
                                 f"got {value!r}")
        if len(values) not in (1, channels):
            raise InspectorError(f"inspector.options.{name}: has {len(values)} values for {channels} "
                                 "channels")
        if name == "std" and any(v == 0 for v in values):
            raise InspectorError("inspector.options.std: must not be 0")
        return np.broadcast_to(np.asarray(values, np.float32), (channels,)).reshape(channels, 1, 1).copy()

    @cached_property
    def _normalisation(self) -> tuple[np.ndarray, np.ndarray]:
        channels = (1 if self._grayscale else 3) if self._is_folder else self._arrays.x.shape[1]
        return self._channel_values("mean", 0.0, channels), self._channel_values("std", 1.0, channels)

    # --- data -----------------------------------------------------------------------------
    @cached_property
    def _folder(self) -> ImageFolder:
        return read_image_folder(self._data_path)

    @cached_property
    def _arrays(self) -> ImageArrays:
        for key in ("resize", "crop", "grayscale"):
            if key in self.options:
                raise InspectorError(f"inspector.options.{key}: only for an image folder; an .npz holds "
                                     "its images at the model's input size")
        return read_npz(self._data_path)

    @cached_property
    def _digest(self) -> str:
        """What the results depend on besides the checkpoints: the files (names, sizes and
        modification times of a folder, or the bytes of an .npz) and the preprocessing options."""
        h = hashlib.sha256()
        if self._is_folder:
            for rel in self._folder.files:
                stat = (self._data_path / rel).stat()
                h.update(f"{rel}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
        else:
            with self._data_path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        settings = {k: self.options.get(k) for k in OPTIONS if k != "data"}
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        return h.hexdigest()

    def dataset(self) -> EvalDataset:
        """Ids are file paths relative to the folder (or row numbers of the .npz); numpy only."""
        if self._is_folder:
            folder = self._folder
            ids, labels, names = np.array(folder.files), folder.labels, folder.class_names
        else:
            arrays = self._arrays
            ids, labels, names = np.arange(len(arrays.labels)), arrays.labels, arrays.class_names
        self._preprocessing()  # a bad option is reported at start, not in a background job
        return EvalDataset(ids=ids, labels=labels, class_names=list(names), kind="image",
                           content_digest=self._digest)

    def _preprocessing(self) -> tuple[Any, ...]:
        """The checked ``resize``, ``crop``, ``grayscale``, ``mean`` and ``std``."""
        if self._is_folder:
            return self._resize, self._crop, self._grayscale, self._normalisation
        return self._normalisation

    def _open(self, index: int) -> Image.Image:
        rel = self._folder.files[int(index)]
        try:
            image = Image.open(self._data_path / rel)
            image.load()
        except (OSError, UnidentifiedImageError) as exc:
            raise InspectorError(f"inspector.options.data: cannot read image {rel} "
                                 f"({str(exc).splitlines()[0][:160]})") from None
        return image

    def pixels(self, indices: np.ndarray) -> np.ndarray:
        """The preprocessed (B, C, H, W) float32 batch of rows ``indices`` (numpy and Pillow)."""
        if self._is_folder:
            images = []
            for index in np.asarray(indices).tolist():
                image = resized(self._open(index).convert("L" if self._grayscale else "RGB"), self._resize)
                if self._crop is not None:
                    image = center_crop(image, self._crop, self._folder.files[index])
                array = np.asarray(image, dtype=np.float32) / 255.0
                images.append(array[None] if array.ndim == 2 else array.transpose(2, 0, 1))
            sizes = sorted({a.shape[1:] for a in images})
            if len(sizes) > 1:
                seen = " and ".join(f"{h}×{w}" for h, w in sizes[:2])
                raise InspectorError(f"inspector.options.resize: the images differ in size ({seen} "
                                     "pixels); set resize: [height, width]")
            batch = np.stack(images) if images else np.zeros((0, 1, 1, 1), np.float32)
        else:
            raw = self._arrays.x[np.asarray(indices, dtype=np.int64)]
            batch = raw.astype(np.float32) / (255.0 if raw.dtype == np.uint8 else 1.0)
        mean, std = self._normalisation
        return (batch - mean) / std

    def inputs(self, indices: np.ndarray) -> torch.Tensor:
        """The preprocessed batch as a CPU tensor."""
        return torch.from_numpy(np.ascontiguousarray(self.pixels(indices), dtype=np.float32))

    def render_instance(self, index: int) -> RenderedInstance:
        """The image as it is stored (not resized or normalised), at most 64 px, as PNG."""
        if self._is_folder:
            return RenderedInstance("image/png", thumbnail(self._open(index)))
        pixels = display_pixels(self._arrays.x[int(index)])
        return RenderedInstance("image/png", thumbnail(Image.fromarray(pixels)))

    # --- models ---------------------------------------------------------------------------
    @cached_property
    def factory(self) -> Callable[..., Any]:
        """The callable named by ``architecture`` ('package.module:function'), imported from
        installed packages or the config's folder."""
        self._check_options()
        spec = self.options.get("architecture")
        where = "inspector.options.architecture"
        if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
            raise InspectorError(f"{where}: must be 'package.module:factory' (a callable that returns "
                                 f"the torch.nn.Module), got {spec!r}")
        module_name, attr = spec.split(":")
        plugin_folder(self.config_dir)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InspectorError(f"{where}: cannot import '{module_name}' ({exc})") from None
        except Exception as exc:
            raise InspectorError(f"{where}: importing '{module_name}' failed "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
        target: Any = module
        for part in attr.split("."):
            if not hasattr(target, part):
                names = [n for n in dir(target) if not n.startswith("_")]
                raise InspectorError(f"{where}: '{module_name}' has no attribute '{attr}'"
                                     f"{did_you_mean(part, names)}")
            target = getattr(target, part)
        if not callable(target):
            raise InspectorError(f"{where}: '{spec}' is not callable")
        return target

    @cached_property
    def _kwargs(self) -> dict[str, Any]:
        kwargs = self.options.get("architecture_kwargs", {})
        if not isinstance(kwargs, dict):
            raise InspectorError(f"inspector.options.architecture_kwargs: must be a mapping, got {kwargs!r}")
        return kwargs

    def read_checkpoint(self, model: Model) -> Any:
        """``torch.load(weights_only=True)``; a pickled whole model is refused, with the fix."""
        try:
            return super().read_checkpoint(model)
        except InspectorError as exc:
            if "weights-only" not in str(exc):
                raise
            raise InspectorError(f"{exc}; save model.state_dict(), not the model") from None

    def build_module(self, model: Model, checkpoint: Any) -> nn.Module:
        """``factory(**architecture_kwargs)`` with the checkpoint's state_dict loaded strictly."""
        spec = self.options.get("architecture")
        factory = self.factory
        try:
            module = factory(**self._kwargs)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
            raise InspectorError(f"inspector.options.architecture: {spec}(**architecture_kwargs) failed "
                                 f"({type(exc).__name__}{': ' + first if first else ''})") from None
        if not isinstance(module, nn.Module):
            raise InspectorError(f"inspector.options.architecture: {spec} returned {type(module).__name__}, "
                                 "not a torch.nn.Module")
        state = state_dict_of(checkpoint, module.state_dict())
        where = f"model '{model.id}': checkpoint {model.checkpoint}"
        if state is None:
            raise InspectorError(f"{where} is not a state_dict (save model.state_dict(): a dict of tensors)")
        problem = fit_problem(state, module.state_dict())
        if problem:
            raise InspectorError(f"{where} does not fit the architecture {spec}: {problem}")
        module.load_state_dict(state)
        return module
