"""The ready-made inspectors, each on models saved in the test and loaded as a user would (a
config, ``load_experiment``, ``make_inspector``, ``Engine``): an image classifier on an image
folder and on an .npz, and a Hugging Face sequence classifier. Predictions equal a plain torch
forward on inputs preprocessed independently here; thumbnails are PNGs; mistakes are one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn.utils import prune

from backend.experiment.loader import load_experiment
from backend.inference import InspectorError
from backend.inference.engine import Engine
from backend.inference.loading import make_inspector
from backend.inference.png import encode_png
from backend.infra.cache import ResultCache
from tests.support import tiny_hf
from tests.support.vision_factory import tiny_cnn

# torch's dynamic int8 quantization (the int8 folder) warns that its API is deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:torch.quantize_per_tensor:UserWarning")
CLASSES = ["cat", "dog", "fox"]
MEAN, STD = np.array([0.5, 0.4, 0.3], np.float32), np.array([0.2, 0.25, 0.3], np.float32)
VISION = {"architecture": "tests.support.vision_factory:tiny_cnn", "data": "images", "resize": [8, 8],
          "mean": MEAN.tolist(), "std": STD.tolist()}
MODELS = ("  - {id: cnn, checkpoint: ckpt/cnn.pt}\n"
          "  - {id: cnn-p50, base: cnn, checkpoint: ckpt/cnn-p50.pt}\n"
          "  - {id: wrong, base: cnn, checkpoint: ckpt/wrong.pt}\n"
          "  - {id: partial, base: cnn, checkpoint: ckpt/partial.pt}\n"
          "  - {id: pickled, base: cnn, checkpoint: ckpt/pickled.pt}\n"
          "  - {id: gray, checkpoint: ckpt/gray.pt}\n")


def _trained_statistics(net: torch.nn.Module, channels: int = 3) -> torch.nn.Module:
    """BatchNorm running statistics that are not the defaults (a forward in train mode)."""
    net.train()
    with torch.no_grad():
        net(torch.rand(16, channels, 8, 8) * 3)
    return net.eval()


@pytest.fixture(scope="module")
def vision(tmp_path_factory):
    """Three classes × four 12×10 PNGs (one greyscale), checkpoints, and the in-memory nets."""
    folder = tmp_path_factory.mktemp("vision")
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (folder / "images" / name).mkdir(parents=True)
        for k in range(4):
            pixels = rng.integers(0, 256, size=(12, 10, 3), dtype=np.uint8)
            pixels[..., c] //= 3  # each class darker in one channel
            image = Image.fromarray(pixels).convert("L") if (c, k) == (1, 2) else Image.fromarray(pixels)
            image.save(folder / "images" / name / f"{k}.png")
    (folder / "images" / "fox" / "notes.txt").write_text("not an image")
    ckpt = folder / "ckpt"
    ckpt.mkdir()
    torch.manual_seed(0)
    base = _trained_statistics(tiny_cnn())
    torch.save(base.state_dict(), ckpt / "cnn.pt")
    pruned = tiny_cnn()
    pruned.load_state_dict(base.state_dict())
    for layer in (pruned[0], pruned[5]):  # left as weight_orig × weight_mask, as prune saves them
        prune.l1_unstructured(layer, "weight", amount=0.5)
    torch.save(pruned.state_dict(), ckpt / "cnn-p50.pt")
    torch.save(tiny_cnn(num_classes=4).state_dict(), ckpt / "wrong.pt")
    partial = base.state_dict()
    del partial["1.running_mean"]
    torch.save(partial, ckpt / "partial.pt")
    torch.save(base, ckpt / "pickled.pt")  # the whole module: the weights-only loader refuses it
    gray = _trained_statistics(tiny_cnn(in_channels=1), channels=1)
    torch.save(gray.state_dict(), ckpt / "gray.pt")
    return {"folder": folder, "cnn": base, "cnn-p50": pruned.eval(), "gray": gray}


def _engine(folder: Path, tmp_path: Path, options: dict, name: str = "exp") -> Engine:
    config = folder / f"{name}.yaml"
    config.write_text("name: tiny cnn\nmodels:\n" + MODELS
                      + "inspector:\n  module: backend.inference.vision\n  class: ImageClassifierInspector\n"
                      + f"  device: cpu\n  batch_size: 5\n  activation_sample: 4\n  options: {json.dumps(options)}\n")
    exp = load_experiment(config)
    inspector = make_inspector(exp.inspector, exp.config_path.parent, tmp_path)
    return Engine(exp.forest, inspector, ResultCache(tmp_path / "results"), activation_sample=4)


def _preprocessed(path: Path, mode: str = "RGB") -> np.ndarray:
    """What torchvision's Resize((8, 8)) + ToTensor + Normalize give, written out here."""
    image = Image.open(path).convert(mode).resize((8, 8), Image.Resampling.BILINEAR)
    array = np.asarray(image, np.float32) / 255
    if mode == "L":
        return ((array - 0.5) / 0.25)[None]
    return (array.transpose(2, 0, 1) - MEAN[:, None, None]) / STD[:, None, None]


def _forward(net: torch.nn.Module, batch: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(batch))).numpy()


def test_image_folder_predictions_equal_a_plain_forward(vision, tmp_path):
    engine = _engine(vision["folder"], tmp_path, VISION)
    ds = engine.dataset
    assert ds.class_names == CLASSES and ds.kind == "image"
    assert ds.ids.tolist() == [f"{c}/{k}.png" for c in CLASSES for k in range(4)]  # notes.txt left out
    assert ds.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    batch = np.stack([_preprocessed(vision["folder"] / "images" / i) for i in ds.ids])
    for model in ("cnn", "cnn-p50"):
        out = engine.predictions(model)
        assert out["probs"].shape == (12, 3)
        np.testing.assert_allclose(out["logits"], _forward(vision[model], batch), atol=1e-5)
        np.testing.assert_allclose(out["probs"].sum(axis=1), 1.0, atol=1e-6)
    assert not np.allclose(engine.predictions("cnn")["logits"], engine.predictions("cnn-p50")["logits"])


def test_pruned_state_dict_is_folded_and_layers_work(vision, tmp_path):
    engine = _engine(vision["folder"], tmp_path, VISION)
    params = engine.parameters("cnn-p50")
    assert set(params) == {"0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"}
    assert (np.asarray(params["0.weight"]) == 0).mean() == pytest.approx(0.5, abs=0.02)
    np.testing.assert_array_equal(params["0.weight"], vision["cnn-p50"][0].weight.detach().numpy())
    acts = engine.activations("cnn")
    assert list(acts) == ["0", "1", "2", "3", "4", "5"] and acts["5"].shape == (4, 3)


def test_thumbnails_are_pngs_of_the_stored_image(vision, tmp_path):
    engine = _engine(vision["folder"], tmp_path, VISION)
    rendered = engine.render_instance(0)
    assert rendered.mime == "image/png" and rendered.data.startswith(b"\x89PNG\r\n\x1a\n")
    shown = Image.open(io.BytesIO(rendered.data))
    original = np.asarray(Image.open(vision["folder"] / "images" / "cat" / "0.png"))
    assert shown.mode == "RGB" and shown.size == (50, 60)  # 10×12 enlarged 5×: at most 64 px
    np.testing.assert_array_equal(np.asarray(shown), original.repeat(5, axis=0).repeat(5, axis=1))
    grey = Image.open(io.BytesIO(engine.render_instance(6).data))  # dog/2.png was saved greyscale
    assert grey.mode == "L"


@pytest.mark.parametrize("shape", [(5, 7, 3), (6, 4)])
def test_encode_png_round_trips_rgb_and_grey(shape):
    pixels = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(pixels, scale=2))))
    np.testing.assert_array_equal(decoded, pixels.repeat(2, axis=0).repeat(2, axis=1))


def test_greyscale_images_and_architecture_kwargs(vision, tmp_path):
    options = {**VISION, "grayscale": True, "mean": 0.5, "std": [0.25],
               "architecture_kwargs": {"in_channels": 1}}
    engine = _engine(vision["folder"], tmp_path, options, "gray")
    batch = np.stack([_preprocessed(vision["folder"] / "images" / i, "L") for i in engine.dataset.ids])
    np.testing.assert_allclose(engine.predictions("gray")["logits"], _forward(vision["gray"], batch), atol=1e-5)


def test_resize_of_the_shorter_side_then_a_centre_crop(vision, tmp_path):
    engine = _engine(vision["folder"], tmp_path, {**VISION, "resize": 9, "crop": 8}, "crop")

    def torchvision_way(path: Path) -> np.ndarray:  # Resize(9): 10×12 (w×h) → 9×10; CenterCrop(8)
        image = Image.open(path).convert("RGB").resize((9, 10), Image.Resampling.BILINEAR).crop((0, 1, 8, 9))
        return (np.asarray(image, np.float32).transpose(2, 0, 1) / 255 - MEAN[:, None, None]) / STD[:, None, None]

    batch = np.stack([torchvision_way(vision["folder"] / "images" / i) for i in engine.dataset.ids])
    np.testing.assert_allclose(engine.predictions("cnn")["logits"], _forward(vision["cnn"], batch), atol=1e-5)


@pytest.mark.parametrize("layout", ["nhwc-uint8", "nchw-float"])
def test_npz_predictions_and_thumbnails(vision, tmp_path, layout):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(7, 8, 8, 3), dtype=np.uint8)
    y = np.array([0, 1, 2, 0, 1, 2, 2])
    x = images if layout == "nhwc-uint8" else images.transpose(0, 3, 1, 2).astype(np.float32) / 255
    np.savez(vision["folder"] / f"{layout}.npz", x=x, y=y, class_names=np.array(CLASSES))
    options = {"architecture": VISION["architecture"], "data": f"{layout}.npz", "mean": VISION["mean"],
               "std": VISION["std"]}
    engine = _engine(vision["folder"], tmp_path, options, layout)
    ds = engine.dataset
    assert ds.ids.tolist() == list(range(7)) and ds.labels.tolist() == y.tolist() and ds.class_names == CLASSES
    batch = (images.transpose(0, 3, 1, 2).astype(np.float32) / 255 - MEAN[:, None, None]) / STD[:, None, None]
    out = engine.predictions("cnn")
    assert out["probs"].shape == (7, 3)
    np.testing.assert_allclose(out["logits"], _forward(vision["cnn"], batch), atol=1e-5)
    shown = np.asarray(Image.open(io.BytesIO(engine.render_instance(3).data)))
    np.testing.assert_array_equal(shown, images[3].repeat(8, axis=0).repeat(8, axis=1))  # 8×8 → 64×64


def _error(call) -> str:
    with pytest.raises(InspectorError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize(("architecture", "expected"), [
    ("cc_no_such_package.models:net",
     "inspector.options.architecture: cannot import 'cc_no_such_package.models' "
     "(No module named 'cc_no_such_package')"),
    ("tests.support.vision_factory:tiny_cn",
     "inspector.options.architecture: 'tests.support.vision_factory' has no attribute 'tiny_cn' "
     "(did you mean 'tiny_cnn'?)"),
    ("tests.support.vision_factory.tiny_cnn",
     "inspector.options.architecture: must be 'package.module:factory' (a callable that returns the "
     "torch.nn.Module), got 'tests.support.vision_factory.tiny_cnn'"),
    ("tests.support.vision_factory:not_a_module",
     "inspector.options.architecture: tests.support.vision_factory:not_a_module returned str, "
     "not a torch.nn.Module"),
])
def test_a_bad_factory_is_one_line(vision, tmp_path, architecture, expected):
    engine = _engine(vision["folder"], tmp_path, {**VISION, "architecture": architecture}, "bad")
    assert _error(lambda: engine.predictions("cnn")) == expected


def test_a_checkpoint_that_does_not_fit_is_one_line(vision, tmp_path):
    engine = _engine(vision["folder"], tmp_path, VISION)
    where = vision["folder"] / "ckpt"
    assert _error(lambda: engine.predictions("wrong")) == (
        f"model 'wrong': checkpoint {where / 'wrong.pt'} does not fit the architecture "
        "tests.support.vision_factory:tiny_cnn: '5.weight' has shape (4, 16) in the checkpoint, "
        "(3, 16) in the architecture (and 1 more)")
    assert _error(lambda: engine.predictions("partial")) == (
        f"model 'partial': checkpoint {where / 'partial.pt'} does not fit the architecture "
        "tests.support.vision_factory:tiny_cnn: missing key '1.running_mean'")
    message = _error(lambda: engine.predictions("pickled"))
    assert message.startswith(f"model 'pickled': checkpoint {where / 'pickled.pt'} was refused by the "
                              "weights-only loader (")
    assert message.endswith("; save model.state_dict(), not the model")


def test_option_mistakes_are_one_line(vision, tmp_path):
    folder = vision["folder"]
    typo = _engine(folder, tmp_path, {**VISION, "resise": 8}, "typo")
    assert _error(lambda: typo.dataset) == (
        "inspector.options.resise: unknown option for ImageClassifierInspector (did you mean 'resize'?) "
        "(options: architecture, architecture_kwargs, data, resize, crop, mean, std, grayscale)")
    wrong_std = _engine(folder, tmp_path, {**VISION, "std": [0.2, 0.3]}, "std")
    assert _error(lambda: wrong_std.dataset) == "inspector.options.std: has 2 values for 3 channels"
    missing = _engine(folder, tmp_path, {**VISION, "data": "nowhere"}, "missing")
    assert _error(lambda: missing.dataset) == f"inspector.options.data: {folder / 'nowhere'} does not exist"
    (folder / "mixed" / "a").mkdir(parents=True, exist_ok=True)
    (folder / "mixed" / "b").mkdir(exist_ok=True)
    Image.new("RGB", (10, 12)).save(folder / "mixed" / "a" / "0.png")
    Image.new("RGB", (9, 9)).save(folder / "mixed" / "b" / "0.png")
    sizes = _engine(folder, tmp_path, {"architecture": VISION["architecture"], "data": "mixed"}, "sizes")
    assert _error(lambda: sizes.predictions("cnn")) == (
        "inspector.options.resize: the images differ in size (9×9 and 12×10 pixels); set resize: [height, width]")
    np.savez(folder / "bare.npz", x=np.zeros((2, 3, 8, 8), np.uint8), y=np.array([0, 1]))
    bare = _engine(folder, tmp_path, {"architecture": VISION["architecture"], "data": "bare.npz"}, "bare")
    assert _error(lambda: bare.dataset) == (
        f"inspector.options.data: {folder / 'bare.npz'}: has no array 'class_names' (it has: x, y; "
        "needs x, y and class_names)")


# --- Hugging Face sequence classification ---------------------------------------------------

LABELS = ["negative", "neutral", "positive"]
TEXTS = ["ann lives in paris", "bob works as a baker", "where does cat live ?", "dan is a pilot",
         "who lives in rome ?", "the cook works in oslo", "ann and bob live in lima", "what is the job of dan ?",
         "cat is a nurse", "bob lives in oslo ."]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    pytest.importorskip("transformers", reason="the [hf] extra (transformers) is not installed")
    from backend.inference.hf import quantization_flag

    folder = tmp_path_factory.mktemp("classifier")
    names = dict(enumerate(LABELS))
    tiny_hf.save_classifier(folder / "ckpt" / "bert", names)
    tiny_hf.save_classifier(folder / "ckpt" / "bert-p50", names, prune_amount=0.5)
    quantization_flag(tiny_hf.save_classifier(folder / "ckpt" / "bert-int8", names))
    tiny_hf.save_classifier(folder / "ckpt" / "bert-swapped", {0: "positive", 1: "neutral", 2: "negative"})
    tiny_hf.save_classifier(folder / "ckpt" / "bert-default", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    lines = [{"id": f"t{i}", "text": t, "label": LABELS[i % 3]} for i, t in enumerate(TEXTS)]
    lines[4]["label"] = 2  # an index works as well as a name
    (folder / "data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def _hf_engine(folder: Path, tmp_path: Path, options: dict, name: str = "exp") -> Engine:
    models = "".join(f"  - {{id: {m}, base: bert, checkpoint: ckpt/{m}}}\n"
                     for m in ("bert-p50", "bert-int8", "bert-swapped", "bert-default"))
    config = folder / f"{name}.yaml"
    config.write_text("name: tiny bert\nmodels:\n  - {id: bert, checkpoint: ckpt/bert}\n" + models
                      + "inspector:\n  module: backend.inference.hf\n  class: SequenceClassifierInspector\n"
                      + f"  device: cpu\n  batch_size: 4\n  options: {json.dumps(options)}\n")
    exp = load_experiment(config)
    inspector = make_inspector(exp.inspector, exp.config_path.parent, tmp_path)
    return Engine(exp.forest, inspector, ResultCache(tmp_path / "results"), activation_sample=5)


def _plain_logits(folder: Path, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    parts = []
    for start in range(0, len(texts), 4):
        enc = tok(texts[start:start + 4], text_pair=None if pairs is None else pairs[start:start + 4],
                  padding=True, truncation=True, max_length=512, return_tensors="pt")
        with torch.no_grad():
            parts.append(model(**enc).logits.numpy())
    return np.concatenate(parts)


def test_sequence_classifier_predictions_equal_a_plain_forward(classifier, tmp_path):
    engine = _hf_engine(classifier, tmp_path, {"data": "data.jsonl", "labels_from": "ckpt/bert"})
    ds = engine.dataset
    assert ds.class_names == LABELS and ds.kind == "text" and not ds.generative
    assert ds.ids.tolist()[:2] == ["t0", "t1"] and ds.labels.tolist() == [0, 1, 2, 0, 2, 2, 0, 1, 2, 0]
    assert engine.render_instance(1).data == "bob works as a baker"
    for model in ("bert", "bert-p50", "bert-default"):
        out = engine.predictions(model)
        assert out["probs"].shape == (10, 3)
        np.testing.assert_allclose(out["logits"], _plain_logits(classifier / "ckpt" / model, TEXTS), atol=1e-5)
        np.testing.assert_allclose(out["probs"], torch.softmax(torch.tensor(out["logits"]), -1).numpy(),
                                   atol=1e-6)
    int8 = engine.predictions("bert-int8")["probs"]
    assert int8.shape == (10, 3) and np.abs(int8 - engine.predictions("bert")["probs"]).max() < 0.05
    assert [c.output for c in engine.inspector.comparisons()] == ["probs", "probs", "probs"]


def test_sequence_classifier_layers(classifier, tmp_path):
    engine = _hf_engine(classifier, tmp_path, {"data": "data.jsonl", "labels_from": "ckpt/bert"})
    params = engine.parameters("bert-p50")
    assert "bert.encoder.layer.0.attention.self.query.weight" in params and "classifier.weight" in params
    assert (np.asarray(params["bert.encoder.layer.1.output.dense.weight"]) == 0).mean() > 0.3
    acts = engine.activations("bert")
    assert "bert.encoder.layer.0.output.dense" in acts and "classifier" in acts
    assert acts["classifier"].shape == (5, 3)
    assert len({a.shape[:2] for name, a in acts.items() if name.startswith("bert.encoder")}) == 1


def test_class_names_come_from_labels_labels_from_or_the_data(classifier, tmp_path):
    def names(options: dict, data: list | None = None) -> list[str]:
        if data is not None:
            (classifier / "other.jsonl").write_text("".join(json.dumps(d) + "\n" for d in data))
        return _hf_engine(classifier, tmp_path, options, "names").dataset.class_names

    assert names({"data": "data.jsonl", "labels_from": "ckpt/bert-swapped"}) == ["positive", "neutral", "negative"]
    assert names({"data": "other.jsonl"}, [{"text": "ann", "label": "pos"}, {"text": "bob", "label": "neg"}]) \
        == ["neg", "pos"]
    assert names({"data": "other.jsonl"}, [{"text": "ann", "label": 0}, {"text": "bob", "label": 2}]) \
        == ["0", "1", "2"]
    assert names({"data": "other.jsonl", "labels": ["neg", "neu", "pos"]}) == ["neg", "neu", "pos"]


def test_sequence_classifier_mistakes_are_one_line(classifier, tmp_path):
    engine = _hf_engine(classifier, tmp_path, {"data": "data.jsonl", "labels_from": "ckpt/bert"})
    assert _error(lambda: engine.predictions("bert-swapped")) == (
        "model 'bert-swapped': its config.json id2label ['positive', 'neutral', 'negative'] differs from the "
        "class names ['negative', 'neutral', 'positive'] (from labels from); set inspector.options.labels "
        "to use the names given anyway")
    explicit = _hf_engine(classifier, tmp_path, {"data": "data.jsonl", "labels": LABELS}, "explicit")
    assert explicit.predictions("bert-swapped")["probs"].shape == (10, 3)  # explicit names: not checked
    (classifier / "typo.jsonl").write_text(json.dumps({"id": "a", "text": "ann", "label": "positve"}) + "\n")
    typo = _hf_engine(classifier, tmp_path, {"data": "typo.jsonl", "labels": LABELS}, "typo")
    assert _error(lambda: typo.dataset) == (
        f"inspector.options.data: {classifier / 'typo.jsonl'}: id 'a': label 'positve' is not a class name "
        "(did you mean 'positive'?) (classes: negative, neutral, positive)")
    option = _hf_engine(classifier, tmp_path, {"data": "data.jsonl", "label_from": "ckpt/bert"}, "option")
    assert _error(lambda: option.dataset) == (
        "inspector.options.label_from: unknown option for SequenceClassifierInspector (did you mean "
        "'labels_from'?) (options: data, labels, labels_from, max_input_tokens)")


def test_sequence_classifier_text_pairs(classifier, tmp_path):
    pairs = ["paris", "rome", "oslo", "lima", "baker"]
    (classifier / "pairs.jsonl").write_text("".join(
        json.dumps({"text": t, "text_pair": p, "label": k % 3}) + "\n" for k, (t, p) in enumerate(zip(TEXTS[:5], pairs, strict=True))))
    engine = _hf_engine(classifier, tmp_path, {"data": "pairs.jsonl", "labels_from": "ckpt/bert"}, "pairs")
    assert engine.dataset.ids.tolist() == ["0", "1", "2", "3", "4"]
    assert engine.render_instance(0).data == "ann lives in paris\n\nparis"
    np.testing.assert_allclose(engine.predictions("bert")["logits"],
                               _plain_logits(classifier / "ckpt" / "bert", TEXTS[:5], pairs), atol=1e-5)
