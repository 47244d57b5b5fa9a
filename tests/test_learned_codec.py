"""The shipped learned codec: weights, any size and mode, tiles, corrupt input, determinism, goldens."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

import securecomp
from securecomp.codec import get_codec, models, zoo
from securecomp.codec.learned import DEFAULT_MODEL, TILE, decoder_latents
from securecomp.errors import CodecError, FormatError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "learned.json").read_text())
SHIPPED = zoo.qualities(DEFAULT_MODEL)


def _psnr(a: Image.Image, b: Image.Image) -> float:
    x, y = (np.asarray(i.convert("RGB"), dtype=np.float64) for i in (a, b))
    return float(10 * np.log10(255**2 / np.mean((x - y) ** 2)))


def _astronaut(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """The 512 × 512 astronaut, cut or mirrored out to width × height."""
    rgb = data.astronaut()
    rgb = np.pad(rgb, ((0, max(height - 512, 0)), (0, max(width - 512, 0)), (0, 0)), mode="symmetric")
    return Image.fromarray(rgb[:height, :width]).convert(mode)


def test_weights_fit_their_budgets_and_match_their_sha256():
    """The default model is one continuous-rate file of at most 16 MB, and every shipped weights
    file together stay within 20 MB (the per-quality hyperprior's 55 MB left with the switch)."""
    assert zoo.is_continuous(DEFAULT_MODEL) and SHIPPED == list(range(1, 9))
    assert list(zoo.manifest()[DEFAULT_MODEL]) == ["*"]
    assert (zoo.WEIGHTS / zoo.manifest()[DEFAULT_MODEL]["*"]["file"]).stat().st_size <= 16e6
    entries = [e for model in zoo.manifest().values() for e in model.values()]    # every shipped model
    assert sum((zoo.WEIGHTS / e["file"]).stat().st_size for e in entries) <= 20e6
    assert {f.name for f in zoo.WEIGHTS.glob("*.pt")} == {e["file"] for e in entries}   # no file unlisted
    for entry in entries:
        assert hashlib.sha256((zoo.WEIGHTS / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]


def test_damaged_weights_are_refused(monkeypatch):
    real = zoo.manifest()
    damaged = json.loads(json.dumps(real))
    damaged[DEFAULT_MODEL][zoo.ALL_QUALITIES]["sha256"] = "0" * 64
    monkeypatch.setattr(zoo, "manifest", lambda: damaged)
    zoo.clear_cache()
    with pytest.raises(CodecError, match="SHA-256"):
        zoo.load(DEFAULT_MODEL, SHIPPED[0])
    zoo.clear_cache()


def test_learned_is_the_default_codec_of_encrypt_and_compress():
    image = _astronaut(64, 64)
    assert securecomp.decompress(securecomp.compress(image)).size == (64, 64)
    blob = securecomp.encrypt(image, key=bytes(32))
    assert securecomp.container.parse(blob).header.info.codec == "learned"


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_any_size_and_mode_comes_back_in_its_own_mode_and_size(mode):
    image = _astronaut(97, 45, mode)
    if mode == "RGBA":
        alpha = np.random.default_rng(0).integers(0, 256, (45, 97), dtype=np.uint8)
        image.putalpha(Image.fromarray(alpha))
    out = securecomp.decompress(securecomp.compress(image, codec="learned", quality=SHIPPED[-1]))
    assert out.mode == mode and out.size == image.size
    if mode == "RGBA":
        assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(image.getchannel("A")))


def test_images_larger_than_a_tile_are_coded_in_tiles_and_reassembled():
    image = _astronaut(TILE + 40, TILE - 100)
    whole = securecomp.decompress(securecomp.compress(image, codec="learned", quality=SHIPPED[-1]))
    assert whole.size == image.size
    assert _psnr(image, whole) > 20


def test_the_transform_window_changes_no_byte_and_no_pixel(monkeypatch):
    """Planar bodies run g_a and g_s on windows (tiling.WINDOW) that no format depends on: an
    image coded and decoded in 192-pixel windows (3 × 2 of them) gives the bytes and pixels of one
    window, up to one level where float sums round differently."""
    from securecomp.codec import learned

    from securecomp.codec.tiling import reporting_progress

    image, totals = _astronaut(TILE + 40, 300), set()

    def coded(call):
        with reporting_progress(lambda done, total: totals.add(total)):
            return call()

    one = coded(lambda: securecomp.compress(image, codec="learned", quality=5))
    monkeypatch.setattr(learned, "WINDOW", 192)
    many = coded(lambda: securecomp.compress(image, codec="learned", quality=5))
    split = np.asarray(coded(lambda: securecomp.decompress(one)), dtype=int)
    monkeypatch.undo()
    whole = np.asarray(securecomp.decompress(one), dtype=int)
    assert totals == {1 + 4, 6 + 4}          # windows, then two passes over each of 2 coding tiles
    assert abs(len(many) - len(one)) <= 8
    assert np.abs(split - whole).max() <= 1 and np.mean(split != whole) < 1e-3


def test_rate_and_quality_rise_with_the_quality_level():
    image = _astronaut(256, 256)
    sizes, psnrs = [], []
    for quality in SHIPPED:
        bits = securecomp.compress(image, codec="learned", quality=quality)
        sizes.append(len(bits))
        psnrs.append(_psnr(image, securecomp.decompress(bits)))
    assert sizes == sorted(sizes)
    assert psnrs[-1] > psnrs[0] + 2


@pytest.mark.parametrize("cut", [1, 7, 40, 200])
def test_truncated_or_damaged_learned_bitstreams_raise_typed_errors(cut):
    bits = securecomp.compress(_astronaut(64, 64), codec="learned", quality=SHIPPED[0])
    for damaged in (bits[:-cut], bits + b"\0" * cut, bits[:-cut] + bytes(cut)):
        with pytest.raises((FormatError, CodecError)):
            securecomp.decompress(damaged)


def test_decoding_with_one_or_two_threads_gives_identical_latents_and_pixels_within_one_level():
    """The latents are exact; g_s is a float network whose summation order depends on the threads,
    so a pixel sitting on a rounding boundary may move by one level (rarely)."""
    bits = securecomp.compress(_astronaut(128, 96), codec="learned", quality=SHIPPED[len(SHIPPED) // 2])
    before = torch.get_num_threads()
    try:
        outputs = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            outputs.append((decoder_latents(bits), np.asarray(securecomp.decompress(bits))))
    finally:
        torch.set_num_threads(before)
    assert outputs[0][0] == outputs[1][0]
    difference = np.abs(outputs[0][1].astype(int) - outputs[1][1].astype(int))
    assert difference.max() <= 1 and np.mean(difference > 0) < 1e-3


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['codec']}-{v['image']}-q{v['quality']}")
def test_golden_bitstreams_decode_to_their_pinned_latents(vector):
    bits = bytes.fromhex(vector["bitstream"])
    assert hashlib.sha256(decoder_latents(bits)).hexdigest() == vector["latents_sha256"]
    assert securecomp.decompress(bits).size == (96, 80)


@pytest.mark.parametrize("vector", VECTORS[:4] + VECTORS[-2:], ids=lambda v: f"{v['codec']}-{v['image']}-q{v['quality']}")
def test_reencoding_the_golden_images_reproduces_the_bitstream(vector, monkeypatch):
    """Exact on the machine that made the vectors (in float32); elsewhere float rounding in g_a may
    flip a few symbols, so the check is that the latents agree on all but a sliver of their values."""
    from vectors.generate import learned_images

    monkeypatch.setattr(models, "_native_bf16", lambda: False)

    bits = securecomp.compress(learned_images()[vector["image"]], codec=vector["codec"], quality=vector["quality"])
    if hashlib.sha256(bits).hexdigest() == vector["sha256"]:
        return
    ours = np.frombuffer(decoder_latents(bits), "<f4")
    golden = np.frombuffer(decoder_latents(bytes.fromhex(vector["bitstream"])), "<f4")
    assert ours.shape == golden.shape and np.mean(ours != golden) < 0.002


def test_learned_codec_object_describes_itself():
    codec = get_codec("learned")
    assert codec.model == DEFAULT_MODEL and not codec.lossless and codec.modes == {"L", "RGB", "RGBA"}


@pytest.mark.parametrize("model_id", ["bmshj2018-factorized", "bmshj2018-hyperprior", "bandara2020-sae"])
def test_every_architecture_codes_through_the_tiled_body(monkeypatch, model_id):
    """Tile headers carry the deepest latent's size, which depends on the model's downsampling."""
    from securecomp.codec.info import ImageInfo
    from securecomp.codec.learned import LearnedCodec
    from test_learned_engine import SMALL, spread

    model = spread(SMALL[model_id]())
    monkeypatch.setattr(zoo, "load", lambda *_: model)
    codec, image = LearnedCodec(model_id, codec_id=model_id), _astronaut(TILE + 7, 45)
    body = codec.compress(image, 3)
    out = codec.decompress(body, ImageInfo(model_id, "RGB", image.width, image.height, 3, model_id))
    assert out.size == image.size
    with pytest.raises(FormatError, match="tile header"):
        codec.decompress(body, ImageInfo(model_id, "RGB", image.width, image.height + 64, 3, model_id))


@pytest.mark.parametrize("model_id", list(zoo.manifest()))
def test_every_shipped_model_is_a_codec_under_its_own_id(model_id):
    image = _astronaut(97, 45)
    bits = securecomp.compress(image, codec=model_id, quality=zoo.qualities(model_id)[-1])
    assert get_codec(model_id).model == model_id
    assert _psnr(image, securecomp.decompress(bits)) > 18


def test_an_unusable_device_setting_is_a_clear_error(monkeypatch):
    from securecomp.errors import ParameterError

    monkeypatch.setenv("SECURECOMP_DEVICE", "tpu")
    with pytest.raises(ParameterError, match="unknown device"):
        securecomp.compress(_astronaut(64, 64))
    if not torch.cuda.is_available():
        monkeypatch.setenv("SECURECOMP_DEVICE", "cuda")
        with pytest.raises(ParameterError, match="no CUDA device"):
            securecomp.compress(_astronaut(64, 64))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_encoded_bitstreams_decode_on_the_cpu(monkeypatch):
    image = _astronaut(TILE + 40, 200)
    quality = SHIPPED[len(SHIPPED) // 2]
    monkeypatch.setenv("SECURECOMP_DEVICE", "cuda")
    on_gpu = securecomp.compress(image, codec="learned", quality=quality)
    monkeypatch.setenv("SECURECOMP_DEVICE", "cpu")
    on_cpu = securecomp.compress(image, codec="learned", quality=quality)
    decoded = securecomp.decompress(on_gpu)
    assert decoded.size == image.size and _psnr(image, decoded) > 20
    gpu_latents, cpu_latents = (np.frombuffer(decoder_latents(b), "<f4") for b in (on_gpu, on_cpu))
    assert gpu_latents.shape == cpu_latents.shape and np.mean(gpu_latents != cpu_latents) < 0.002
    monkeypatch.setenv("SECURECOMP_DEVICE", "cuda")
    decoded_on_gpu = np.asarray(securecomp.decompress(on_gpu), dtype=int)
    assert np.abs(decoded_on_gpu - np.asarray(decoded, dtype=int)).max() <= 2


def _forged_learned(width: int, height: int, strings: list[bytes]) -> bytes:
    """A bitstream of the default model (its weights' tag and all) whose body carries ``strings``."""
    from securecomp import _wire
    from securecomp.codec.framing import MAGIC, VERSION, add_checksum
    from securecomp.codec.info import ImageInfo
    from securecomp.codec.learned import PLANAR

    body = [bytes([PLANAR]) + zoo.weights_tag(DEFAULT_MODEL), *(_wire.u32(len(s)) + s for s in strings)]
    info = ImageInfo("learned", "RGB", width, height, 1, DEFAULT_MODEL)
    return add_checksum(MAGIC + bytes([VERSION]) + info.pack(VERSION) + b"".join(body))


def _strings_of(width: int, height: int) -> int:
    from securecomp.codec import planar

    return planar.string_count(zoo.load(DEFAULT_MODEL, 1), -(-height // 64) * 4, -(-width // 64) * 4)


@pytest.mark.parametrize(("extra", "error"), [(-1, "truncated|short|end"), (1, "trailing")])
def test_a_body_with_another_number_of_latent_strings_than_the_image_needs_is_a_format_error(extra, error):
    count = _strings_of(64, 64) + extra
    assert count + 1 - extra == 4                     # z, the anchors and the rest of the one tile, + 1
    with pytest.raises(FormatError, match=error):
        securecomp.decompress(_forged_learned(64, 64, [b"\0" * 8] * count))


def test_a_tiny_body_claiming_a_huge_image_with_empty_strings_is_refused_at_once():
    import time

    bomb = _forged_learned(4096, 4096, [b""] * _strings_of(4096, 4096))
    assert len(bomb) < 700          # 129 strings of 4 bytes
    start = time.perf_counter()
    with pytest.raises(FormatError, match="empty"):
        securecomp.decompress(bomb)
    assert time.perf_counter() - start < 2      # generous: it fails before any decoding


def test_non_finite_reconstructions_are_format_errors(monkeypatch):
    bits = securecomp.compress(_astronaut(64, 64), codec="learned", quality=1)
    model = zoo.load(DEFAULT_MODEL, 1)
    monkeypatch.setattr(model, "synthesise", lambda y_hat, quality: torch.full((1, 3, 64, 64), float("nan")))
    with pytest.raises(FormatError, match="non-finite"):
        securecomp.decompress(bits)


@pytest.mark.parametrize("quality", [1.0, 8.0])
def test_bf16_transforms_cost_almost_nothing(monkeypatch, quality):
    """The continuous model runs g_a and g_s in bf16 (but their last layers) where the CPU has
    native bf16: its images stay within 0.15 dB and 1.5 % bytes of the float32 coding, and the
    decoder's bf16 alone costs at most 0.1 dB on the same bitstream."""
    image = _astronaut(256, 192)
    results = {}
    for native in (False, True):
        monkeypatch.setattr(models, "_native_bf16", lambda native=native: native)
        bits = securecomp.compress(image, codec="learned", quality=quality)
        results[native] = (bits, securecomp.decompress(bits))
    (bits32, decoded32), (bits16, decoded16) = results[False], results[True]
    psnr32, psnr16 = _psnr(image, decoded32), _psnr(image, decoded16)
    size32, size16 = len(bits32), len(bits16)
    assert bits16 != bits32, "bf16 was asked for but the coding did not change"
    assert abs(size16 - size32) <= 0.015 * size32 and abs(psnr16 - psnr32) <= 0.15
    bf16_decoder = securecomp.decompress(bits32)        # native bf16 is still on: the decoder's share
    assert bf16_decoder.tobytes() != decoded32.tobytes()
    assert abs(_psnr(image, bf16_decoder) - psnr32) <= 0.1


RETIRED = json.loads((Path(__file__).parent / "vectors" / "learned-retired.json").read_text())


@pytest.mark.parametrize("vector", RETIRED, ids=lambda v: f"{v['model']}-{v['image']}-q{v['quality']}")
def test_an_image_of_retired_weights_fails_naming_the_securecomp_that_reads_it(vector):
    """Never decoded with other weights (that would be a silently wrong image): a CodecError whose
    hint names the commit that wrote it (codec/retired-weights.json), for weights replaced within a
    model and for models that no longer ship, encrypted or not."""
    bits = bytes.fromhex(vector["bitstream"])
    for decode in (securecomp.decompress, _encrypted_and_decrypted):
        with pytest.raises(CodecError, match=f"{vector['model']}.*(no longer ships|does not ship)") as caught:
            decode(bits)
        assert vector["written_by"] in caught.value.hint


def _encrypted_and_decrypted(bits: bytes):
    """The container path of a bitstream: its descriptor and body sealed as they stand, then decrypted."""
    from securecomp import _wire
    from securecomp.api import _seal
    from securecomp.codec.framing import MAGIC, strip_checksum
    from securecomp.codec.info import ImageInfo

    r = _wire.Reader(strip_checksum(bits), "bitstream")
    r.take(len(MAGIC))
    info = ImageInfo.read(r, r.u8())
    sealed = _seal(info, bytes(r.rest()), suite="aes", key=bytes(32), password=None, nonce=bytes(16), kdf=None)
    return securecomp.decrypt(sealed, key=bytes(32))


def test_an_image_of_unknown_weights_names_their_tag():
    from securecomp.codec.framing import add_checksum, strip_checksum

    bits = bytes(strip_checksum(securecomp.compress(_astronaut(64, 64), quality=3)))
    tag = zoo.weights_tag(DEFAULT_MODEL)
    at = bits.index(bytes([4]) + tag)        # the body: version 4, then the tag
    forged = add_checksum(bits[:at + 1] + bytes(4) + bits[at + 5:])
    with pytest.raises(CodecError, match=tag.hex()) as caught:
        securecomp.decompress(forged)
    assert "SHA-256 starting 00000000" in caught.value.hint
