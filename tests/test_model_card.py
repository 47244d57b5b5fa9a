"""benchmarks/model_card.py's merging of bench results (the card's reuse of unchanged codecs' rows)."""

import pytest


def _row(quality: float, bpp: float, psnr: float) -> dict:
    return {"quality": quality, "bpp": bpp, "psnr": psnr, "encode_s": 0.1, "decode_s": 0.1}


def _summary(results: dict, images=("a.png", "b.png")) -> dict:
    return {"images": list(images), "results": results}


def test_merge_later_run_replaces_a_codec_quality_and_keeps_the_rest(repo_script):
    model_card = repo_script("benchmarks/model_card.py")
    old = _summary({"learned": [_row(1, 0.2, 28.0), _row(2, 0.4, 30.0)], "kept": [_row(2, 0.5, 27.0)]})
    new = _summary({"learned": [_row(2, 0.35, 30.5), _row(3, 0.6, 32.0)]})
    merged = model_card.merge([old, new])
    assert [(r["quality"], r["bpp"]) for r in merged["results"]["learned"]] == [(1, 0.2), (2, 0.35), (3, 0.6)]
    assert merged["results"]["kept"] == old["results"]["kept"]
    assert merged["images"] == ["a.png", "b.png"]


def test_merge_refuses_runs_over_different_images(repo_script):
    model_card = repo_script("benchmarks/model_card.py")
    with pytest.raises(SystemExit, match="different images"):
        model_card.merge([_summary({}), _summary({}, images=("a.png",))])
