"""Both MT backends run the same network: a float32 CTranslate2 conversion of a tiny model
translates exactly as transformers does (greedy), for both model families.

The tiny models have random weights, so no test can judge translation quality; what can be
checked is that the CTranslate2 path (tokens, the target language forced as a prefix,
stripping that prefix, decoding) computes what transformers computes. Measured 2026-11-27:
68 of 68 sample sentences identical for NLLB in float32; in int8 (PyTorch dynamic
quantisation against CTranslate2's own) only 28 %, so int8 cannot be compared this way. The
tiny MADLAD stand-in decodes to empty strings on both backends, so agreement there would
prove nothing: it is not tested here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.translate.mt import TOKENIZER_FILES, MTEngine, MTOptions

SENTENCES = ["Mở ứng dụng Zalo, rồi quét mã QR ở quầy.", "Nhập số tiền 45.000 đồng.",
             "Bấm nút Xác nhận, rồi nhập mã OTP gồm 6 chữ số được gửi qua tin nhắn.",
             "Chúc bà con mua bán thuận lợi và an toàn."]


@pytest.mark.parametrize(("family", "tag"), [("nllb", "khm_Khmr")])
def test_ctranslate2_float32_translates_like_transformers(family: str, tag: str,
                                                          tiny_models: Path,
                                                          tmp_path: Path) -> None:
    import ctranslate2

    name = f"tiny-{family}"
    src, dst = tiny_models / "mt" / name, tmp_path / "mt" / name
    shutil.copytree(src, dst)
    files = [f for f in TOKENIZER_FILES if (src / f).is_file()]
    ctranslate2.converters.TransformersConverter(str(src), copy_files=files).convert(
        str(tmp_path / "mt" / f"{name}-ct2"), quantization="float32", force=True)
    got = {}
    for backend in ("transformers", "ctranslate2"):
        engine = MTEngine(MTOptions(backend=backend, model_dir=tmp_path, compute_type="float32",
                                    models=((family, name),), batch_size=2, max_length=24))
        got[backend] = engine.translate(SENTENCES, family, tag)
    assert all(got["transformers"])  # the random model says something for every sentence
    assert got["ctranslate2"] == got["transformers"]
