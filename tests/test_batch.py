"""`securecomp batch`: mirrored trees, the manifest, per-file errors, resume after an interruption
(checked by manifest and hash, never by existence), a process pool and a Dask LocalCluster."""

from __future__ import annotations

import errno
import inspect
import json
import os
import stat
import sys
import time

import numpy as np
import pytest
from PIL import Image

from securecomp import batch, cli
from securecomp._atomic import write_beneath
from securecomp.errors import BatchError, ParameterError
from securecomp.keys import write_key_file
from securecomp.recipients import format_identity, generate_identity, write_identity_file
from securecomp.secret import Key, Password, Recipients

KEY = bytes(range(32))
SECRET = Key(KEY)
NAMES = ["a.png", "b.png", "sub/c.png", "sub/deeper/d.png", "sub/e.png", "f.png"]


def _pixels(index: int) -> np.ndarray:
    return np.random.default_rng(index).integers(0, 256, (12, 16, 3), dtype=np.uint8)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "in"
    for index, name in enumerate(NAMES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_pixels(index)).save(root / name)
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"skipped")
    return root


def _manifest(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _encrypt(tree, out, **options):
    return batch.run_batch("encrypt", tree, out, secret=SECRET, codec="png", **options)


def _assert_round_trip(tmp_path, out, **options):
    back = tmp_path / "back"
    summary = batch.run_batch("decrypt", out, back, secret=SECRET, **options)
    assert summary.done == len(NAMES) and summary.failed == 0
    for index, name in enumerate(NAMES):
        assert np.array_equal(np.asarray(Image.open(back / name)), _pixels(index))


def test_encrypt_mirrors_the_tree_writes_the_manifest_and_decrypts_back(tree, tmp_path):
    out = tmp_path / "out"
    summary = _encrypt(tree, out)
    assert (summary.done, summary.skipped, summary.failed) == (len(NAMES), 0, 0)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.sc")) == sorted(n + ".sc" for n in NAMES)
    records = _manifest(out / batch.MANIFEST_NAME)
    assert {r["input"] for r in records} == set(NAMES) and all(r["status"] == "ok" for r in records)
    first = records[0]
    assert set(first) >= {"input", "output", "input_bytes", "output_bytes", "sha256", "status", "error", "settings"}
    assert first["output_bytes"] == (out / first["output"]).stat().st_size
    assert KEY.hex() not in (out / batch.MANIFEST_NAME).read_text()
    _assert_round_trip(tmp_path, out)


def test_a_bad_file_is_recorded_and_the_others_are_still_done(tree, tmp_path):
    (tree / "sub" / "broken.png").write_bytes(b"not a png at all")
    out = tmp_path / "out"
    with pytest.raises(BatchError, match="1 of 7 files failed"):
        _encrypt(tree, out)
    records = {r["input"]: r for r in _manifest(out / batch.MANIFEST_NAME)}
    assert records["sub/broken.png"]["status"] == "error" and "UnsupportedImageError" in records["sub/broken.png"]["error"]
    assert sum(r["status"] == "ok" for r in records.values()) == len(NAMES)
    assert not (out / "sub" / "broken.png.sc").exists()


def test_an_interrupted_run_resumes_without_redoing_finished_files(tree, tmp_path, monkeypatch):
    out, real, calls = tmp_path / "out", batch.process, []

    def interrupted_after_three(job, settings):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(job.record.input)
        return real(job, settings)

    monkeypatch.setattr(batch, "process", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        _encrypt(tree, out)
    assert [r["input"] for r in _manifest(out / batch.MANIFEST_NAME)] == calls
    with open(out / batch.MANIFEST_NAME, "a") as handle:
        handle.write('{"input": "f.png", "status": "o')          # a line cut off by the interruption
    monkeypatch.setattr(batch, "process", real)
    summary = _encrypt(tree, out)
    assert (summary.skipped, summary.done, summary.failed) == (3, len(NAMES) - 3, 0)
    assert len(batch.read_manifest(out / batch.MANIFEST_NAME)) == len(NAMES)
    _assert_round_trip(tmp_path, out)


def test_resume_redoes_tampered_missing_and_unrecorded_outputs_and_changed_inputs(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    tampered = bytearray((out / "b.png.sc").read_bytes())
    tampered[-1] ^= 1
    (out / "b.png.sc").write_bytes(bytes(tampered))
    (out / "sub" / "c.png.sc").unlink()
    Image.fromarray(_pixels(99)).save(tree / "f.png")
    os.utime(tree / "f.png", ns=(1, 1))
    summary = _encrypt(tree, out)
    assert (summary.done, summary.skipped) == (3, len(NAMES) - 3)
    assert {r["input"] for r in _manifest(out / batch.MANIFEST_NAME)[len(NAMES):]} == {"b.png", "sub/c.png", "f.png"}
    (out / batch.MANIFEST_NAME).unlink()                       # outputs exist, but nothing says they are ours
    assert _encrypt(tree, out, force=True).done == len(NAMES)


def test_changed_settings_redo_every_file(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    assert batch.run_batch("encrypt", tree, out, secret=SECRET, codec="png", cipher="aes").done == len(NAMES)
    assert batch.run_batch("encrypt", tree, out, secret=SECRET, codec="png", cipher="aes").skipped == len(NAMES)


def test_process_pool_with_two_workers_gives_the_same_tree(tree, tmp_path):
    out = tmp_path / "out"
    summary = _encrypt(tree, out, workers=2)
    assert summary.done == len(NAMES) and len(summary.peak_rss_kib) >= 1
    _assert_round_trip(tmp_path, out, workers=2)


def test_recipients_and_an_identity_object_work_across_worker_processes(tree, tmp_path):
    identity = generate_identity()
    out, back = tmp_path / "out", tmp_path / "back"
    batch.run_batch("encrypt", tree, out, recipients=[identity.recipient], codec="png", workers=2)
    assert batch.run_batch("decrypt", out, back, secret=identity, workers=2).done == len(NAMES)
    assert np.array_equal(np.asarray(Image.open(back / "sub" / "c.png")), _pixels(2))
    assert "securecomp-identity" not in (back / batch.MANIFEST_NAME).read_text()


def test_dask_local_cluster_runs_the_batch_and_resumes(tree, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        assert _encrypt(tree, out, dask=client).done == len(NAMES)
        (out / "a.png.sc").write_bytes(b"tampered")
        summary = _encrypt(tree, out, dask=client)
        assert (summary.done, summary.skipped) == (1, len(NAMES) - 1)
        _assert_round_trip(tmp_path, out, dask=client)


def test_output_inside_input_is_not_walked_and_the_same_folder_is_refused(tree, tmp_path):
    inner = tree / "encrypted"
    assert _encrypt(tree, inner).done == len(NAMES)
    assert _encrypt(tree, inner).skipped == len(NAMES)
    with pytest.raises(ParameterError, match="same folder"):
        _encrypt(tree, tree)


def test_decrypt_names_png_outputs_and_reports_two_inputs_for_one_output(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    (out / "a.sc").write_bytes((out / "a.png.sc").read_bytes())     # would also become a.png
    summary = batch.run_batch("decrypt", out, tmp_path / "back", secret=SECRET, raise_on_error=False)
    assert summary.failed == 1 and "already written" in summary.errors[0].error
    assert (tmp_path / "back" / "sub" / "deeper" / "d.png").exists()


# --- never clobbers, never escapes ----------------------------------------------------------------

def test_a_file_in_out_dir_the_manifest_does_not_record_is_kept_and_reported_unless_force(tree, tmp_path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "c.png.sc").write_bytes(b"the user's own file")
    summary = _encrypt(tree, out, raise_on_error=False)
    assert (summary.done, summary.failed, summary.kept) == (len(NAMES) - 1, 1, 1)
    assert "sub/c.png.sc already exists" in summary.errors[0].error and "--force" in summary.errors[0].error
    assert (out / "sub" / "c.png.sc").read_bytes() == b"the user's own file"
    with pytest.raises(BatchError, match="1 of 6 files failed"):
        _encrypt(tree, out)                                     # still kept on a second run
    assert (out / "sub" / "c.png.sc").read_bytes() == b"the user's own file"
    assert _encrypt(tree, out, force=True).done == 1
    _assert_round_trip(tmp_path, out)


def test_outputs_the_manifest_records_are_replaced_without_force(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    (out / "a.png.sc").write_bytes(b"damaged")                  # recorded as this batch's output
    summary = _encrypt(tree, out)
    assert (summary.done, summary.kept, summary.failed) == (1, 0, 0)


def test_a_symlinked_folder_in_out_dir_is_never_written_through(tree, tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    _encrypt(tree, out)
    elsewhere.mkdir()
    back = tmp_path / "back"
    back.mkdir()
    (back / "sub").symlink_to(elsewhere, target_is_directory=True)
    summary = batch.run_batch("decrypt", out, back, secret=SECRET, raise_on_error=False)
    assert summary.failed == 3 and summary.done == len(NAMES) - 3        # sub/c, sub/e, sub/deeper/d
    assert all("symbolic link" in record.error for record in summary.errors)
    assert list(elsewhere.iterdir()) == []
    assert (back / "a.png").exists()


def test_a_symlink_planted_as_an_output_file_is_kept_and_its_target_untouched(tree, tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    victim.write_text("precious")
    out.mkdir()
    (out / "a.png.sc").symlink_to(victim)
    summary = _encrypt(tree, out, raise_on_error=False)
    assert summary.kept == 1 and victim.read_text() == "precious"
    assert _encrypt(tree, out, force=True).done == 1               # replaces the link itself
    assert victim.read_text() == "precious" and not (out / "a.png.sc").is_symlink()


def test_write_beneath_refuses_paths_that_leave_the_root(tmp_path):
    for relative in ("../x", "/etc/x", "a/../../x", "..", ""):
        with pytest.raises(ValueError, match="beneath the output folder"):
            write_beneath(tmp_path, relative, b"data")
    assert list(tmp_path.iterdir()) == []


def test_symlinks_in_in_dir_are_skipped_and_counted_unless_follow_symlinks(tree, tmp_path):
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    Image.fromarray(_pixels(7)).save(outside / "linked.png")
    Image.fromarray(_pixels(8)).save(outside / "folder" / "g.png")
    (tree / "linked.png").symlink_to(outside / "linked.png")
    (tree / "folder").symlink_to(outside / "folder", target_is_directory=True)
    summary = _encrypt(tree, tmp_path / "out")
    assert (summary.done, summary.symlinks) == (len(NAMES), 2)
    assert not (tmp_path / "out" / "linked.png.sc").exists() and not (tmp_path / "out" / "folder").exists()
    summary = _encrypt(tree, tmp_path / "followed", follow_symlinks=True)
    assert (summary.done, summary.symlinks) == (len(NAMES) + 2, 0)
    assert (tmp_path / "followed" / "folder" / "g.png.sc").exists()


def test_following_a_symlink_loop_walks_each_folder_once(tree, tmp_path):
    (tree / "sub" / "loop").symlink_to(tree, target_is_directory=True)
    summary = _encrypt(tree, tmp_path / "out", follow_symlinks=True)
    assert summary.done == len(NAMES) and summary.failed == 0


def test_hidden_names_are_skipped_and_counted_unless_include_hidden(tree, tmp_path):
    Image.fromarray(_pixels(9)).save(tree / ".hidden.png")
    (tree / ".cache").mkdir()
    Image.fromarray(_pixels(10)).save(tree / ".cache" / "h.png")
    summary = _encrypt(tree, tmp_path / "out")
    assert (summary.done, summary.hidden) == (len(NAMES), 2)
    summary = _encrypt(tree, tmp_path / "all", include_hidden=True)
    assert (summary.done, summary.hidden) == (len(NAMES) + 2, 0)
    assert (tmp_path / "all" / ".cache" / "h.png.sc").exists()


def test_the_tree_walk_is_iterative_and_handles_trees_deeper_than_the_recursion_limit(tmp_path):
    root, depth = tmp_path / "in", 120
    deepest = root.joinpath(*["d"] * depth)
    deepest.mkdir(parents=True)
    Image.fromarray(_pixels(0)).save(deepest / "x.png")
    settings = batch.Settings("encrypt", SECRET, codec="png")
    batch._image_extensions()                                    # Pillow's plugins, loaded before the limit
    frames = len(inspect.stack(0))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + 60)                          # a recursive walk would need > 120 frames
    try:
        work = batch.plan(root, tmp_path / "out", settings, {})
    finally:
        sys.setrecursionlimit(limit)
    assert [job.record.input for job in work.jobs] == ["/".join(["d"] * depth + ["x.png"])]


def test_the_manifest_is_created_0600_and_never_opened_through_a_symlink(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    assert stat.S_IMODE((out / batch.MANIFEST_NAME).stat().st_mode) == 0o600
    planted, victim = tmp_path / "planted", tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted.mkdir()
    (planted / batch.MANIFEST_NAME).symlink_to(victim)
    with pytest.raises(OSError) as caught:
        _encrypt(tree, planted)
    assert caught.value.errno == errno.ELOOP and "symbolic link" in str(caught.value)
    assert victim.read_text() == "precious\n"


def test_dask_without_distributed_fails_before_out_dir_or_manifest_exist(tree, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)       # `import distributed` raises ImportError
    with pytest.raises(ParameterError, match="needs Dask distributed"):
        _encrypt(tree, tmp_path / "out", dask="local")
    assert not (tmp_path / "out").exists()


# --- the manifest line (issue 16): one dataclass, the same JSON on disk ---------------------------

# Lines as securecomp 0.2 wrote them before ManifestLine (a run of the {kind: value} batch, verbatim).
OLD_LINES = [
    '{"error": "UnsupportedImageError: cannot read image /tmp/mref/in/b.png: not an image file Pillow can decode", '
    '"input": "b.png", "input_bytes": 4, "input_mtime_ns": 1796315812829014668, "output": "b.png.sc", '
    '"output_bytes": null, "seconds": 0.0002, "settings": {"cipher": "chaos+aes", "codec": "png", '
    '"direction": "encrypt", "quality": null, "secret": "key"}, "sha256": null, "status": "error"}',
    '{"error": null, "input": "sub/a.png", "input_bytes": 69, "input_mtime_ns": 1796315812828914029, '
    '"output": "sub/a.png.sc", "output_bytes": 174, "seconds": 0.0178, "settings": {"cipher": "chaos+aes", '
    '"codec": "png", "direction": "encrypt", "quality": null, "secret": "key"}, '
    '"sha256": "8c5320c8730786cf7c392d106d776df238a747a647e1e53382f6d669b1dce7e3", "status": "ok"}',
    # a job whose worker died: no "seconds"
    '{"error": "worker failed: KilledWorker: x", "input": "c.png", "input_bytes": 5, "input_mtime_ns": 7, '
    '"output": "c.png.sc", "output_bytes": null, "settings": {"direction": "decrypt", "secret": "identity"}, '
    '"sha256": null, "status": "error"}',
]


@pytest.mark.parametrize("text", OLD_LINES)
def test_a_manifest_line_reads_into_the_dataclass_and_writes_back_byte_for_byte(text):
    line = batch.ManifestLine.loads(text)
    assert line is not None and line.input == json.loads(text)["input"]
    assert line.dumps() == text


def test_a_manifest_line_reads_leniently_and_a_damaged_line_never_lets_a_file_be_skipped():
    for junk in ('{"input": "f.png", "status": "o', "[1, 2]", '{"output": "x"}', '{"input": 3}', ""):
        assert batch.ManifestLine.loads(junk) is None
    odd = batch.ManifestLine.loads('{"input": "a.png", "status": "ok", "input_bytes": "69", "future_field": 1, '
                                   '"output_bytes": true}')
    assert odd == batch.ManifestLine("a.png", status="ok")


def test_a_job_whose_worker_died_gets_an_error_line_without_seconds(tree, tmp_path):
    from securecomp._batch_exec import failed

    work = batch.plan(tree, tmp_path / "out", batch.Settings("encrypt", Key(KEY), codec="png"), {})
    line = failed(work.jobs[0], RuntimeError("boom")).line
    assert (line.input, line.status, line.error) == ("a.png", "error", "worker failed: RuntimeError: boom")
    assert set(json.loads(line.dumps())) == set(json.loads(OLD_LINES[2]))


def test_fresh_lines_have_the_fields_and_form_of_the_old_ones(tree, tmp_path):
    (tree / "broken.png").write_bytes(b"junk")
    out = tmp_path / "out"
    _encrypt(tree, out, raise_on_error=False)
    lines = (out / batch.MANIFEST_NAME).read_text().splitlines()
    keys = set(json.loads(OLD_LINES[0]))
    for text in lines:
        assert set(json.loads(text)) == keys
        assert json.dumps(json.loads(text), sort_keys=True) == text
    assert {json.loads(text)["status"] for text in lines} == {"ok", "error"}
    read = batch.read_manifest(out / batch.MANIFEST_NAME)
    assert isinstance(read["broken.png"], batch.ManifestLine) and read["broken.png"].status == "error"


def test_a_manifest_written_before_the_dataclass_still_lets_a_run_resume(tree, tmp_path):
    out = tmp_path / "out"
    _encrypt(tree, out)
    manifest = out / batch.MANIFEST_NAME
    old_form = []                       # rewritten as the dict-based writer did: the same, key for key
    for text in manifest.read_text().splitlines():
        record = json.loads(text)
        old_form.append(json.dumps({k: v for k, v in record.items() if not k.startswith("_")}, sort_keys=True))
    assert old_form == manifest.read_text().splitlines()
    manifest.write_text("\n".join(old_form) + "\n")
    assert _encrypt(tree, out).skipped == len(NAMES)


# --- the typed secret (issue 16) ------------------------------------------------------------------

def test_the_secret_is_one_typed_secret_or_one_keyword_of_the_directions_kinds(tree, tmp_path):
    identity = generate_identity()
    out = tmp_path / "out"
    for wrong in ({"secret": identity}, {"identity": identity}, {"key": KEY, "password": "pw"}, {}):
        with pytest.raises(ParameterError):
            batch.run_batch("encrypt", tree, out, codec="png", **wrong)
    with pytest.raises(ParameterError, match="Recipients"):
        batch.run_batch("decrypt", tree, out, secret=Recipients.of([identity.recipient]))
    with pytest.raises(ParameterError):
        batch.Settings("encrypt", identity)
    assert not out.exists()
    assert batch.run_batch("encrypt", tree, out, key=KEY, codec="png").done == len(NAMES)
    assert batch.run_batch("encrypt", tree, out, secret=Key(KEY), codec="png").skipped == len(NAMES)
    back = tmp_path / "back"
    assert batch.run_batch("decrypt", out, back, key=KEY).done == len(NAMES)


def test_settings_show_no_secret_and_pickle_for_workers_with_an_identity_as_its_line():
    import pickle

    identity = generate_identity()
    line = format_identity(identity)
    shown = " ".join(repr(batch.Settings(*args)) for args in
                     [("encrypt", Password("hunter2")), ("encrypt", Key(KEY)), ("decrypt", identity)])
    assert "hunter2" not in shown and KEY.hex() not in shown and repr(KEY) not in shown
    assert line.split(":")[1] not in shown
    settings = batch.Settings("decrypt", identity, max_pixels=1000)
    pickled = pickle.dumps(settings)
    restored = pickle.loads(pickled)
    assert format_identity(restored.secret) == line and restored.max_pixels == 1000
    assert restored.public() == settings.public() == {"direction": "decrypt", "secret": "identity"}
    for secret in (Key(KEY), Password("pw"), Recipients.of([identity.recipient])):
        assert pickle.loads(pickle.dumps(batch.Settings("encrypt", secret))) == batch.Settings("encrypt", secret)


def test_the_old_kind_value_dict_is_refused_before_anything_is_written(tree, tmp_path):
    with pytest.raises(ParameterError, match="not dict"):
        batch.run_batch("encrypt", tree, tmp_path / "out", secret={"key": KEY}, codec="png")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ParameterError, match="not dict"):
        batch.Settings("encrypt", {"password": "pw"})


# --- receiver-side caps (issue 17): max_kdf, allow_weak_kdf, max_pixels --------------------------

def _password_containers(folder, kdf, *, zero_payload=False):
    """folder/x.sc: a password ("pw") container of image 0 with these Argon2id parameters, sealed
    for real or (``zero_payload``) only its header, the header MAC and payload being zero bytes."""
    from securecomp import container
    from securecomp.api import _seal
    from securecomp.codec.bitstream import encode_image

    info, body = encode_image(Image.fromarray(_pixels(0)), "png", 1)
    if zero_payload:
        header = container.Header(suite="aes", nonce=bytes(16), info=info, payload_size=len(body), kdf=kdf)
        blob = header.pack() + bytes(container.HEADER_MAC_SIZE) + bytes(header.sealed_size)
    else:
        blob = _seal(info, body, suite="aes", key=None, password="pw", nonce=bytes(16), kdf=kdf)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.sc").write_bytes(blob)
    return folder


def _only_error(summary):
    assert (summary.done, summary.failed) == (0, 1)
    return summary.errors[0].error


def test_batch_decrypt_refuses_a_header_asking_for_the_maximum_kdf_cost_at_once(tmp_path):
    from securecomp.keys import KdfParams

    costly = KdfParams(memory_kib=1 << 20, iterations=10, lanes=16, salt=bytes(16))   # 1 GiB, 10 passes: ~15 s
    source = _password_containers(tmp_path / "in", costly, zero_payload=True)
    start = time.perf_counter()
    summary = batch.run_batch("decrypt", source, tmp_path / "back", password="pw", raise_on_error=False)
    assert time.perf_counter() - start < 2
    assert _only_error(summary).startswith("DecryptionError: the container asks for Argon2id")
    assert "more than this reader allows" in summary.errors[0].error
    with pytest.raises(BatchError, match="more than this reader allows"):
        batch.run_batch("decrypt", source, tmp_path / "back", password="pw")


def test_batch_decrypt_takes_the_receivers_kdf_cap_floor_and_pixel_limit_to_its_workers(tmp_path):
    from securecomp.keys import MIN_KDF, KdfParams

    weak = KdfParams(memory_kib=256, iterations=1, lanes=1, salt=bytes(16))
    source = _password_containers(tmp_path / "weak", weak)
    assert "below securecomp's own" in _only_error(
        batch.run_batch("decrypt", source, tmp_path / "a", password="pw", raise_on_error=False))
    assert "DecodeLimitError" in _only_error(
        batch.run_batch("decrypt", source, tmp_path / "b", password="pw", raise_on_error=False,
                        allow_weak_kdf=True, max_pixels=16 * 12 - 1))
    assert batch.run_batch("decrypt", source, tmp_path / "c", password="pw", allow_weak_kdf=True,
                           workers=2).done == 1
    assert np.array_equal(np.asarray(Image.open(tmp_path / "c" / "x.png")), _pixels(0))
    usual = KdfParams(memory_kib=MIN_KDF.memory_kib, iterations=MIN_KDF.iterations, lanes=MIN_KDF.lanes,
                      salt=bytes(16))
    source = _password_containers(tmp_path / "usual", usual, zero_payload=True)
    summary = batch.run_batch("decrypt", source, tmp_path / "d", password="pw", raise_on_error=False,
                              max_kdf=KdfParams(memory_kib=32 * 1024, iterations=3), workers=2)
    assert "more than this reader allows (32768 KiB" in _only_error(summary)


def test_the_receivers_caps_are_for_batch_decrypt_only(tree, tmp_path):
    from securecomp.keys import KdfParams

    with pytest.raises(ParameterError, match="batch decrypt only"):
        _encrypt(tree, tmp_path / "out", max_kdf=KdfParams())
    with pytest.raises(ParameterError, match="KdfParams"):
        batch.run_batch("decrypt", tree, tmp_path / "out", secret=SECRET, max_kdf=1 << 20)
    assert not (tmp_path / "out").exists()


# --- command line --------------------------------------------------------------------------------

def _cli(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_cli_batch_with_recipients_workers_and_dask_local(tree, tmp_path, capsys):
    identity = generate_identity()
    write_identity_file(tmp_path / "id.key", identity)
    (tree / "broken.png").write_bytes(b"junk")
    code, err = _cli(capsys, "batch", "encrypt", tree, tmp_path / "out", "-r", identity.recipient, "--codec", "png",
                     "--workers", "2")
    assert code == 7 and "broken.png" in err and err.rstrip().splitlines()[-1].startswith("hint: ")
    (tree / "broken.png").unlink()
    code, err = _cli(capsys, "batch", "encrypt", tree, tmp_path / "out", "-r", identity.recipient, "--codec", "png")
    assert code == 0 and "(6 already done, 0 failed)" in err
    code, err = _cli(capsys, "batch", "decrypt", tmp_path / "out", tmp_path / "back", "-i", tmp_path / "id.key",
                     "--dask", "local", "--workers", "2")
    assert code == 0, err
    for index, name in enumerate(NAMES):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "back" / name)), _pixels(index))


def test_cli_batch_usage_errors_exit_2_and_a_missing_in_dir_exits_5(tree, tmp_path, capsys):
    write_key_file(tmp_path / "k", KEY)
    assert _cli(capsys, "batch", "encrypt", tree, tmp_path / "o", "--key-file", tmp_path / "k", "--workers", "0")[0] == 2
    code, err = _cli(capsys, "batch", "encrypt", tmp_path / "missing", tmp_path / "o", "--key-file", tmp_path / "k")
    assert code == 5 and "missing: no such folder" in err                       # README: 5, missing input
    code, err = _cli(capsys, "batch", "encrypt", tmp_path / "k", tmp_path / "o", "--key-file", tmp_path / "k")
    assert code == 5 and "is not a folder" in err and not (tmp_path / "o").exists()


def test_cli_batch_keeps_a_foreign_file_exits_7_and_names_what_it_left_out(tree, tmp_path, capsys):
    write_key_file(tmp_path / "k", KEY)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png.sc").write_bytes(b"mine")
    (tree / "link.png").symlink_to(tree / "a.png")
    code, err = _cli(capsys, "batch", "encrypt", tree, out, "--key-file", tmp_path / "k", "--codec", "png")
    assert code == 7 and (out / "a.png.sc").read_bytes() == b"mine"
    assert "error: a.png: " in err and "a.png.sc already exists" in err
    assert "left out 1 symbolic links (--follow-symlinks), 1 hidden names (--include-hidden)" in err
    assert "kept 1 existing files (--force)" in err
    code, err = _cli(capsys, "batch", "encrypt", tree, out, "--key-file", tmp_path / "k", "--codec", "png",
                     "--force", "--follow-symlinks", "--include-hidden")
    assert code == 7 and "hidden.png" in err                    # the fixture's .hidden.png is not an image
    assert (out / "link.png.sc").exists() and (out / "a.png.sc").read_bytes() != b"mine"
    assert "left out 0 symbolic links" in err and "0 hidden names" in err
