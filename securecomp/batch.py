"""Encrypt or decrypt a folder tree into a mirrored tree, resumably, on a process pool or Dask.

``run_batch("encrypt", IN_DIR, OUT_DIR, key=key)`` walks IN_DIR, writes
``OUT_DIR/<same relative path>.sc`` for every image (``batch decrypt`` writes ``<name>.png`` for
every ``.sc`` file), and appends one JSON line per finished file to a manifest (docs/format.md §9).
A later run over the same folders skips a file only when the manifest says it was done with the
same settings, the input has the same size and modification time, and the output still has the
recorded SHA-256; everything else is done (again). Per-file errors are recorded, never fatal.
The secret is one typed :data:`~securecomp.secret.Secret` (``secret=Key(...)``, ``Password``,
``Recipients`` to encrypt, ``Identity`` to decrypt), or the keyword it stands for (``key=``,
``password=``, ``recipients=``, ``identity=``), as :func:`securecomp.encrypt` takes it.

A batch never clobbers and never escapes: a file in OUT_DIR that the manifest does not record as
this batch's output is kept and reported as a failure unless ``force=True``; every output is written
beneath OUT_DIR through real folders only (no symbolic link below OUT_DIR is followed); the manifest
is never opened through a symbolic link. An output whose manifest line was lost (a crash between
the write and the line) counts as not written by this batch: ``force=True`` redoes it. Symbolic
links and hidden names (``.*``) in IN_DIR are skipped and counted, unless ``follow_symlinks=True``
/ ``include_hidden=True``.

The work runs in this process (``workers=1``), in a local process pool (``workers=N``), or on a
Dask distributed cluster (``dask="local"``, an address, or a ``distributed.Client``). Workers read
and write the files themselves: on a multi-machine cluster IN_DIR and OUT_DIR must be on a shared
filesystem, mounted at the same paths.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from PIL import Image

from ._atomic import open_folders_beneath, relative_parts, write_beneath
from ._batch_exec import check_runner, run_jobs
from .api import decrypt, encrypt
from .codec.info import DEFAULT_MAX_PIXELS
from .errors import BatchError, InputOutputError, ParameterError, SecurecompError
from .keys import KdfParams
from .recipients import Identity, format_identity, parse_identity
from .secret import Key, Password, Recipients, Secret, secret_from, secret_kind
from .suites import DEFAULT_SUITE, check_suite

__all__ = ["Settings", "ManifestLine", "Summary", "Plan", "run_batch", "plan", "read_manifest", "ENCRYPTED_SUFFIX",
           "MANIFEST_NAME"]

ENCRYPTED_SUFFIX = ".sc"
MANIFEST_NAME = "manifest.jsonl"
DIRECTIONS = ("encrypt", "decrypt")
_SECRET_TYPES: dict[str, tuple[type, ...]] = {"encrypt": (Key, Password, Recipients), "decrypt": (Key, Password, Identity)}
_FSYNC_EVERY = 64


@dataclass(frozen=True)
class Settings:
    """What every file of a run is done with. ``secret``: a Key, Password or Recipients (encrypt),
    a Key, Password or Identity (decrypt); their reprs never show a secret. Workers in other
    processes get the settings pickled: an Identity travels as its ``securecomp-identity-v1:``
    line (:meth:`__reduce__`, the one conversion at the process boundary)."""

    direction: str
    secret: Secret
    codec: str | None = None
    quality: float | None = None
    cipher: str = DEFAULT_SUITE
    max_kdf: KdfParams | None = None        # decrypt: the receiver's caps, as securecomp.decrypt takes them
    allow_weak_kdf: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS
    allow_legacy: bool = False              # decrypt: also open format-1 containers (not key-committing)

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ParameterError(f"batch direction must be encrypt or decrypt, not {self.direction!r}")
        allowed = _SECRET_TYPES[self.direction]
        if not isinstance(self.secret, allowed):
            raise ParameterError(f"batch {self.direction} takes a secret of type "
                                 f"{', '.join(kind.__name__ for kind in allowed)}, not {type(self.secret).__name__}")
        check_suite(self.cipher)
        if self.max_kdf is not None and not isinstance(self.max_kdf, KdfParams):
            raise ParameterError(f"max_kdf takes a securecomp.keys.KdfParams, not {type(self.max_kdf).__name__}")
        if self.direction == "encrypt" and (self.max_kdf is not None or self.allow_weak_kdf or self.allow_legacy
                                            or self.max_pixels != DEFAULT_MAX_PIXELS):
            raise ParameterError("max_kdf, allow_weak_kdf, max_pixels and allow_legacy apply to batch decrypt only")

    def public(self) -> dict[str, Any]:
        """The settings as the manifest records them: the secret's kind, never the secret."""
        out: dict[str, Any] = {"direction": self.direction, "secret": secret_kind(self.secret)}
        if self.direction == "encrypt":
            out |= {"codec": self.codec, "quality": self.quality, "cipher": self.cipher}
        if isinstance(self.secret, Recipients):
            out["recipients"] = sorted(str(r) for r in self.secret.recipients)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for pool and Dask workers: an Identity (whose private key does not pickle) as its line."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.secret, Identity):
            values["secret"] = _IdentityLine(format_identity(self.secret))
        return _settings, (values,)


@dataclass(frozen=True, repr=False)
class _IdentityLine:
    """An identity on its way to a worker process."""

    line: str

    def __repr__(self) -> str:
        return "_IdentityLine(<hidden>)"


def _settings(values: dict[str, Any]) -> Settings:
    secret = values["secret"]
    if isinstance(secret, _IdentityLine):
        values = dict(values, secret=parse_identity(secret.line))
    return Settings(**values)


def _secret(direction: str, secret: Secret | None, given: dict[str, Any]) -> Secret:
    """The one secret of a run, of a kind ``direction`` takes; ParameterError otherwise."""
    kinds = sorted(kind.__name__.lower() for kind in _SECRET_TYPES[direction])
    unknown = sorted(set(given) - {"key", "password", "recipients", "identity"})
    stray = unknown or sorted(name for name, value in given.items() if value is not None and name not in kinds)
    if stray:
        raise ParameterError(f"batch {direction} takes one of {' or '.join(f'{kind}=' for kind in kinds)}, "
                             f"not {', '.join(f'{name}=' for name in stray)}")
    return secret_from(secret=secret, **{kind: given.get(kind) for kind in kinds})


@dataclass(frozen=True)
class ManifestLine:
    """One line of the manifest (docs/format.md §9); :meth:`dumps` and :meth:`loads` are the one
    place that writes and reads it.

    On disk: one JSON object with sorted keys, every field below; ``seconds`` is left out of the
    line of a job whose worker died. Reading is lenient: a line that is not a JSON object with a
    string ``input`` (a write cut short) reads as None, unknown keys are ignored, and a missing
    field or one of the wrong type reads as None (so that line never lets a file be skipped)."""

    input: str                              # relative to IN_DIR, "/"-separated
    output: str | None = None               # relative to OUT_DIR
    input_bytes: int | None = None
    input_mtime_ns: int | None = None
    settings: dict[str, Any] | None = None  # Settings.public(): never a secret
    status: str | None = None               # "ok" or "error"; "skipped" in a Summary only, never written
    error: str | None = None
    output_bytes: int | None = None
    sha256: str | None = None               # lowercase hex of the output file
    seconds: float | None = None

    def dumps(self) -> str:
        """The line, without its newline."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.seconds is None:
            del values["seconds"]
        return json.dumps(values, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> ManifestLine | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("input"), str):
            return None
        return cls(data["input"], **{name: _checked(data.get(name), kind) for name, kind in _FIELD_TYPES.items()})


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "output": str, "input_bytes": int, "input_mtime_ns": int, "settings": dict, "status": str, "error": str,
    "output_bytes": int, "sha256": str, "seconds": (int, float)}


def _checked(value: object, kind: type | tuple[type, ...]) -> Any:
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one job: its manifest line, the worker's pid and peak RSS."""

    line: ManifestLine
    worker: int | None = None
    peak_rss_kib: int = 0


@dataclass(frozen=True)
class Job:
    source: str                     # absolute paths, as the workers open them
    target: str
    record: ManifestLine            # the manifest fields known before the work
    expected: ManifestLine | None = None    # a previous "ok" line to verify instead of redoing
    conflict: str | None = None     # why this file cannot be done (two inputs, one output; a file kept)
    root: str = ""                  # OUT_DIR, resolved: the target is written beneath it, as record.output
    replace: bool = False           # the target exists and may be replaced (ours, or --force)
    kept: bool = False              # the target is a file this batch did not write: kept, not overwritten

    @property
    def output(self) -> str:
        assert self.record.output is not None       # plan() always sets it
        return self.record.output

    def failed(self, error: str) -> Outcome:
        """The outcome of this job when its worker failed outright (a crashed process, a killed
        Dask worker): an error line without ``seconds``."""
        return Outcome(replace(self.record, status="error", error=error))


@dataclass
class Plan:
    jobs: list[Job]
    symlinks: int = 0               # symbolic links in IN_DIR left out (follow_symlinks=False)
    hidden: int = 0                 # hidden names (.*) in IN_DIR left out (include_hidden=False)


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    kept: int = 0                   # of the failed: existing files in OUT_DIR this batch did not write
    symlinks: int = 0               # symbolic links in IN_DIR not followed
    hidden: int = 0                 # hidden names in IN_DIR left out
    seconds: float = 0.0
    errors: list[ManifestLine] = field(default_factory=list)
    peak_rss_kib: dict[int, int] = field(default_factory=dict)      # worker pid -> peak RSS

    @property
    def images_per_second(self) -> float:
        return (self.done + self.skipped + self.failed) / self.seconds if self.seconds else 0.0


# --- planning ----------------------------------------------------------------------------------

def _image_extensions() -> frozenset[str]:
    return frozenset(ext for ext, name in Image.registered_extensions().items() if name in Image.OPEN)


def output_name(relative: str, direction: str) -> str:
    """``a/b.jpg`` -> ``a/b.jpg.sc`` (encrypt); ``a/b.jpg.sc`` -> ``a/b.jpg.png`` (decrypt, PNG always)."""
    if direction == "encrypt":
        return relative + ENCRYPTED_SUFFIX
    stem = relative[: -len(ENCRYPTED_SUFFIX)]
    return stem if stem.lower().endswith(".png") else stem + ".png"


def _walk(root: Path, plan: Plan, *, skip: Path | None, follow_symlinks: bool,
          include_hidden: bool) -> Iterator[os.DirEntry[str]]:
    """Regular files under ``root`` in sorted order, walked with a stack (no recursion, so no depth
    limit); symbolic links and hidden names are counted in ``plan`` and left out unless asked for,
    and the ``skip`` subtree (OUT_DIR inside IN_DIR) is left out. A folder reached twice through
    symbolic links is walked once."""
    skipped = _identity(skip) if skip is not None and skip.exists() else None
    seen = {_identity(root)}
    stack = [iter(_sorted_entries(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif entry.name.startswith(".") and not include_hidden:
            plan.hidden += 1
        elif entry.is_symlink() and not follow_symlinks:
            plan.symlinks += 1
        elif entry.is_dir():
            identity = _identity(entry.path)
            if identity != skipped and identity not in seen:
                seen.add(identity)
                stack.append(iter(_sorted_entries(entry.path)))
        elif entry.is_file():
            yield entry


def _sorted_entries(folder: str | os.PathLike[str]) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as listing:
        return sorted(listing, key=lambda e: e.name)


def _identity(path: str | os.PathLike[str]) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _wanted(name: str, direction: str, extensions: frozenset[str]) -> bool:
    if direction == "decrypt":
        return name.endswith(ENCRYPTED_SUFFIX) and len(name) > len(ENCRYPTED_SUFFIX)
    return Path(name).suffix.lower() in extensions


def plan(in_dir: Path, out_dir: Path, settings: Settings, previous: dict[str, ManifestLine], *,
         recorded: frozenset[str] | set[str] = frozenset(), force: bool = False,
         follow_symlinks: bool = False, include_hidden: bool = False) -> Plan:
    """The jobs of a run, each with the previous manifest line to verify when it may be skipped.
    ``recorded``: the outputs the manifest says this batch wrote; any other existing target is kept
    (the job fails) unless ``force``."""
    in_dir, out_dir = in_dir.resolve(), out_dir.resolve()
    extensions, public, seen = _image_extensions(), settings.public(), dict[str, str]()
    result = Plan([])
    walk = _walk(in_dir, result, skip=out_dir if out_dir.is_relative_to(in_dir) else None,
                 follow_symlinks=follow_symlinks, include_hidden=include_hidden)
    for entry in walk:
        if not _wanted(entry.name, settings.direction, extensions):
            continue
        relative = Path(entry.path).relative_to(in_dir).as_posix()
        stat = entry.stat()
        output = output_name(relative, settings.direction)
        record = ManifestLine(relative, output, stat.st_size, stat.st_mtime_ns, public)
        target = _target(out_dir, output)
        other = seen.setdefault(output, relative)
        conflict = f"output {output} is already written for {other}" if other != relative else None
        exists = os.path.lexists(target)
        kept = exists and not force and output not in recorded and conflict is None
        if kept:
            conflict = (f"{output} already exists in OUT_DIR and the manifest does not record it as "
                        "this batch's output; it is kept (--force overwrites it)")
        result.jobs.append(Job(entry.path, target, record, _reusable(record, previous), conflict,
                               root=str(out_dir), replace=exists, kept=kept))
    return result


def _target(out_dir: Path, output: str) -> str:
    """``out_dir/output``, checked to lie beneath ``out_dir`` (no absolute part, no ``..``)."""
    target = out_dir.joinpath(*relative_parts(output))
    if not target.is_relative_to(out_dir) or os.path.normpath(target) != str(target):
        raise ParameterError(f"output {output!r} would lie outside {out_dir}")
    return str(target)


def _reusable(record: ManifestLine, previous: dict[str, ManifestLine]) -> ManifestLine | None:
    last = previous.get(record.input)
    if last is not None and last.status == "ok" and _done_as(last) == _done_as(record):
        return last
    return None


def _done_as(line: ManifestLine) -> tuple[object, ...]:
    """What must be unchanged for a line to let its input be skipped."""
    return line.output, line.input_bytes, line.input_mtime_ns, line.settings


# --- the work of one file (runs in a worker) ---------------------------------------------------

def process(job: Job, settings: Settings) -> Outcome:
    """Do one file; never raises for a bad file: the error goes into the returned manifest line."""
    start = time.perf_counter()
    try:
        if job.conflict:
            raise ParameterError(job.conflict)
        if job.expected is not None and _still_valid(job, job.expected):
            return _outcome(replace(job.expected, status="skipped"))
        data = _transform(job.source, settings)
        write_beneath(job.root, job.output, data, overwrite=job.replace)
        line = replace(job.record, status="ok", output_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    except Exception as exc:        # any failure of one file is recorded, the run goes on
        line = replace(job.record, status="error", error=_recorded(exc))
    return _outcome(replace(line, seconds=round(time.perf_counter() - start, 4)))


def _recorded(exc: Exception) -> str:
    """The manifest's error of a failed file: the exception's type and message, and its hint if any."""
    hint = exc.hint if isinstance(exc, SecurecompError) else ""
    return f"{type(exc).__name__}: {exc}" + (f" (hint: {hint})" if hint else "")


def _transform(source: str, settings: Settings) -> bytes:
    if settings.direction == "encrypt":
        return encrypt(source, codec=settings.codec, quality=settings.quality, cipher=settings.cipher,
                       secret=settings.secret)
    with open(source, "rb") as handle:
        image = decrypt(handle.read(), secret=settings.secret, max_kdf=settings.max_kdf,
                        allow_weak_kdf=settings.allow_weak_kdf, max_pixels=settings.max_pixels,
                        allow_legacy=settings.allow_legacy)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _still_valid(job: Job, expected: ManifestLine) -> bool:
    """True when the target has exactly the size and SHA-256 the manifest recorded (read beneath
    OUT_DIR without following a symbolic link)."""
    *folders, name = relative_parts(job.output)
    try:
        folder = open_folders_beneath(job.root, tuple(folders), create=False)
        try:
            handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        finally:
            os.close(folder)
        with open(handle, "rb") as stream:
            if os.fstat(stream.fileno()).st_size != expected.output_bytes:
                return False
            digest = hashlib.sha256()
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == expected.sha256


def _outcome(line: ManifestLine) -> Outcome:
    return Outcome(line, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- manifest ----------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict[str, ManifestLine]:
    """The last line of each input in a manifest; unparsable lines (a cut-off write) are skipped."""
    return _read_manifest(path)[0]


def _read_manifest(path: Path) -> tuple[dict[str, ManifestLine], set[str]]:
    """(the last line of each input, every output a line records as written with status ok)."""
    found: dict[str, ManifestLine] = {}
    written: set[str] = set()
    try:
        handle = _open_manifest(path, os.O_RDONLY)
    except FileNotFoundError:
        return found, written
    with open(handle, encoding="utf-8", errors="replace") as lines:
        for text in lines:
            line = ManifestLine.loads(text)
            if line is not None:
                found[line.input] = line
                if line.status == "ok" and line.output is not None:
                    written.add(line.output)
    return found, written


def _open_manifest(path: Path, flags: int) -> int:
    """A descriptor of the manifest, never opened through a symbolic link; created with mode 0600."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "the manifest is a symbolic link; refusing to follow it", str(path)) from None
        raise


class _ManifestWriter:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = _open_manifest(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        self._handle = open(handle, "a", encoding="utf-8")
        if not _ends_with_newline(handle):
            self._handle.write("\n")            # after a cut-off line, start a fresh one
        self._unsynced = 0

    def append(self, line: ManifestLine) -> None:
        self._handle.write(line.dumps() + "\n")
        self._handle.flush()
        self._unsynced += 1
        if self._unsynced >= _FSYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._handle.fileno())
        self._unsynced = 0

    def close(self) -> None:
        self.sync()
        self._handle.close()


def _ends_with_newline(handle: int) -> bool:
    """True for an empty file or one whose last byte is a newline."""
    size = os.fstat(handle).st_size
    return size == 0 or os.pread(handle, 1, size - 1) == b"\n"


# --- the run -----------------------------------------------------------------------------------

def run_batch(direction: str, in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
              secret: Secret | None = None, key: bytes | None = None, password: str | bytes | None = None,
              recipients: Any = None, identity: Identity | str | None = None,
              codec: str | None = None, quality: float | None = None, cipher: str = DEFAULT_SUITE,
              workers: int = 1, dask: Any = None, manifest: str | os.PathLike[str] | None = None,
              progress: bool | None = None, raise_on_error: bool = True, force: bool = False,
              follow_symlinks: bool = False, include_hidden: bool = False, max_kdf: KdfParams | None = None,
              allow_weak_kdf: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS,
              allow_legacy: bool = False) -> Summary:
    """Process a tree (see the module docstring); raises BatchError at the end if any file failed,
    a file kept because this batch did not write it included.

    Give exactly one secret: ``secret`` (a Key, Password, Recipients or Identity) or one of
    ``key``, ``password``, ``recipients`` (encrypt) and ``identity`` (decrypt: an Identity or its
    line). ``max_kdf``, ``allow_weak_kdf`` and ``max_pixels`` (decrypt only) are the receiver's caps of
    :func:`securecomp.decrypt`, applied by every worker: a container whose Argon2id cost is above
    ``max_kdf`` (default keys.DEFAULT_MAX_KDF) or below securecomp's own, or whose image is larger
    than ``max_pixels``, fails (is recorded with its error) before any key is derived. A format-1
    container (not key-committing) fails the same way unless ``allow_legacy``."""
    if direction not in DIRECTIONS:
        raise ParameterError(f"batch direction must be encrypt or decrypt, not {direction!r}")
    chosen = _secret(direction, secret, {"key": key, "password": password, "recipients": recipients,
                                         "identity": identity})
    settings = Settings(direction, chosen, codec, quality, cipher, max_kdf, allow_weak_kdf, max_pixels, allow_legacy)
    check_runner(workers, dask)                 # a missing extra fails before anything is created
    source, target = _check_folders(Path(in_dir), Path(out_dir))
    manifest_path = Path(manifest) if manifest is not None else target / MANIFEST_NAME
    previous, written = _read_manifest(manifest_path)
    work = plan(source, target, settings, previous, recorded=written, force=force,
                follow_symlinks=follow_symlinks, include_hidden=include_hidden)
    target.mkdir(parents=True, exist_ok=True)
    summary = _run(work.jobs, settings, manifest_path, workers=workers, dask=dask, progress=progress)
    summary.symlinks, summary.hidden = work.symlinks, work.hidden
    summary.kept = sum(job.kept for job in work.jobs)
    if summary.failed and raise_on_error:
        first = summary.errors[0]
        raise BatchError(f"{summary.failed} of {len(work.jobs)} files failed; the first: {first.input}: "
                         f"{first.error} (manifest: {manifest_path})")
    return summary


def _check_folders(in_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    if not in_dir.exists():
        raise InputOutputError(f"{in_dir}: no such folder", hint="batch takes IN_DIR OUT_DIR, two folders")
    if not in_dir.is_dir():
        raise InputOutputError(f"{in_dir} is not a folder", hint="batch takes IN_DIR OUT_DIR, two folders")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputOutputError(f"{out_dir} exists and is not a folder", hint="give OUT_DIR as a folder, new or existing")
    if in_dir.resolve() == out_dir.resolve():
        raise ParameterError("IN_DIR and OUT_DIR are the same folder", hint="write the results to another folder")
    return in_dir, out_dir


def _run(jobs: list[Job], settings: Settings, manifest_path: Path, *, workers: int, dask: Any,
         progress: bool | None) -> Summary:
    from tqdm import tqdm

    summary, writer, start = Summary(), _ManifestWriter(manifest_path), time.perf_counter()
    bar = tqdm(total=len(jobs), unit="img", desc=f"batch {settings.direction}", smoothing=0.1,
               disable=None if progress is None else not progress)      # None: only on a terminal
    try:
        for outcome in run_jobs(process, jobs, settings, workers=workers, dask=dask):
            _account(summary, outcome, writer)
            bar.update(1)
            bar.set_postfix(failed=summary.failed, refresh=False)
    finally:
        bar.close()
        writer.close()
        summary.seconds = time.perf_counter() - start
    return summary


def _account(summary: Summary, outcome: Outcome, writer: _ManifestWriter) -> None:
    if outcome.worker is not None:
        summary.peak_rss_kib[outcome.worker] = max(summary.peak_rss_kib.get(outcome.worker, 0), outcome.peak_rss_kib)
    line = outcome.line
    if line.status == "skipped":
        summary.skipped += 1
        return
    writer.append(line)
    if line.status == "ok":
        summary.done += 1
    else:
        summary.failed += 1
        summary.errors.append(line)

