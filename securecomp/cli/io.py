"""Input, output, secrets and error reporting for the command line.

Manners, after age: binary output never goes to a terminal, output files appear atomically or not
at all, an existing output needs --force, passwords come from the terminal or a file. Messages
name the user's paths (never a temporary file's), and every warning is one ``warning:`` line.
"""

from __future__ import annotations

import getpass
import io
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from PIL import Image

from .._atomic import atomic_write
from ..errors import (
    FormatError,
    InputOutputError,
    OutputExistsError,
    ParameterError,
    SecurecompError,
    UnsupportedImageError,
    UsageError,
)
from ..images import image_from_bytes, pillow_errors, to_image
from ..keys import read_key_file, readable_by_others
from ..recipients import MAX_RECIPIENTS, parse_recipient, read_identity_file
from ..secret import Key, Password, Recipients, Secret

T = TypeVar("T")
STDIO = "-"
MAX_PASSWORD_FILE = 1 << 16
LOSSLESS_FORMAT = "PNG"
# What Pillow writes lossily (with its default options): the decrypted pixels change once more.
LOSSY_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP", "GIF": "GIF (256 colours)", "AVIF": "AVIF"}
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp\Z")     # _atomic's name beside the target


def is_stdio(path: str | None) -> bool:
    return path is None or path == STDIO


# --- input -------------------------------------------------------------------------------------

def read_input(path: str | None, what: str = "container") -> bytes:
    """The bytes of ``path``, or of stdin for ``-``/None (refused when stdin is a terminal or empty)."""
    if path is not None and not is_stdio(path):
        return _read_file(Path(path))
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        raise UsageError("no input: stdin is a terminal",
                         hint="give an input FILE, or pipe the data in (`... | securecomp COMMAND -`)")
    data = stdin.buffer.read()
    if not data:
        raise InputOutputError(f"stdin is empty: no {what} was piped in",
                               hint=f"name the {what} file as an argument, or pipe one in (`... - < FILE`)")
    return data


def read_container(path: str | None) -> bytes:
    """A container's bytes (read_input); an empty file is named as such rather than "truncated"."""
    data = read_input(path, "container")
    if not data:
        raise FormatError(f"{path} is empty (0 bytes), not a securecomp container",
                          hint="was a copy or download cut short? get the file again from its source")
    return data


def _read_file(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes, or its first ``limit`` bytes without reading the rest (/dev/zero ends)."""
    _check_readable(path)
    if limit is None:
        return path.read_bytes()
    with path.open("rb") as handle:
        return handle.read(limit)


def image_input(path: str | None, *, first_frame: bool = False) -> Image.Image:
    """The image file at ``path``, or piped to stdin, read as securecomp.encrypt reads a path (upright,
    in a carried mode); several frames are refused unless ``first_frame`` (securecomp.images)."""
    if path is not None and not is_stdio(path):
        _check_readable(Path(path))
        return to_image(path, first_frame=first_frame)
    return image_from_bytes(read_input(path, "image"), name="the image on stdin", first_frame=first_frame)


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputOutputError(f"{path}: no such file", hint="check the path; `-` reads from stdin")
    if path.is_dir():
        raise InputOutputError(f"{path} is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputOutputError(f"{path}: permission denied", hint="check the file's permissions")


# --- output ------------------------------------------------------------------------------------

def check_output(path: str | None, *, force: bool) -> None:
    """Refuse before any expensive work: binary to a terminal, an existing file, a missing folder."""
    if is_stdio(path):
        if sys.stdout is None or sys.stdout.isatty():
            raise UsageError("refusing to write binary output to a terminal",
                             hint="write it to a file with `-o FILE`, or redirect stdout (`> FILE`)")
        return
    assert path is not None
    target = Path(path)
    if target.is_dir():
        raise InputOutputError(f"{target} is a directory", hint="give a file name with -o FILE")
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists")
    if not target.parent.is_dir():
        raise InputOutputError(f"folder {target.parent} does not exist", hint="create it first, or choose another -o")


def write_output(path: str | None, data: bytes, *, force: bool, mode: int = 0o666) -> None:
    """Write ``data`` to stdout, or atomically to ``path`` (nothing is left behind on failure)."""
    if path is None or is_stdio(path):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with writing(path):
            atomic_write(path, data, mode=mode, overwrite=force)


@contextmanager
def writing(path: str | os.PathLike) -> Iterator[None]:
    """Turn an OSError of writing ``path`` (whose temporary file it may name) into InputOutputError
    naming ``path`` itself."""
    try:
        yield
    except SecurecompError:
        raise
    except OSError as exc:
        raise InputOutputError(f"cannot write {path}: {exc.strerror or type(exc).__name__}",
                               hint="check that the folder exists, is writable and has space left") from exc


def image_format(path: str | None) -> str:
    """The Pillow format named by the output extension; PNG (lossless) for stdout or no extension."""
    if path is None or is_stdio(path) or not Path(path).suffix:
        return LOSSLESS_FORMAT
    extension = Path(path).suffix.lower()
    known = Image.registered_extensions()
    if extension not in known or known[extension] not in Image.SAVE:
        raise ParameterError(f"cannot tell an image format Pillow writes from {extension!r}",
                             hint="use a .png output to keep every pixel exactly")
    return known[extension]


def lossy_output_warning(path: str | None, file_format: str) -> str | None:
    """The one-line warning for writing a decrypted image in a lossy format, or None."""
    if file_format not in LOSSY_FORMATS:
        return None
    return (f"{path} is written as {LOSSY_FORMATS[file_format]}, which compresses the decrypted pixels again, "
            "lossily; use a .png output to keep them exactly")


def encode_image(image: Image.Image, file_format: str) -> bytes:
    buffer = io.BytesIO()
    try:
        with pillow_errors(UnsupportedImageError, f"cannot save the {image.mode} image as {file_format}"):
            carried = {k: image.info[k] for k in ("icc_profile", "exif") if image.info.get(k)}
            image.save(buffer, format=file_format, **carried)
    except UnsupportedImageError as exc:
        exc.hint = "use a .png output: it holds L, RGB, RGBA and 16-bit images exactly"
        raise
    return buffer.getvalue()


# --- secrets -----------------------------------------------------------------------------------

def read_secret(key_file: str | None, password_file: str | None, *, confirm: bool,
                recipients: list[str] | None = None, recipients_file: str | None = None,
                identity_file: str | None = None) -> Secret:
    """The secret for securecomp.encrypt/decrypt (``secret=``): a Key, a Password, Recipients
    (encrypt) or an Identity (decrypt)."""
    if recipients or recipients_file is not None:
        if key_file is not None or password_file is not None:
            raise UsageError("--recipient/--recipients-file cannot be combined with --key-file or --password-file",
                             hint="encrypt either to public keys or with a key or password")
        return Recipients.of(list(recipients or []) + read_recipients_file(recipients_file))
    if identity_file is not None:
        return _read_secret_file(Path(identity_file), "identity", read_identity_file)
    if key_file is not None:
        return Key(read_key(Path(key_file)))
    if password_file is not None:
        return Password(read_password_file(Path(password_file)))
    return Password(prompt_password(confirm=confirm))


def read_key(path: Path) -> bytes:
    return _read_secret_file(path, "key", read_key_file)


def _read_secret_file(path: Path, what: str, read: Callable[[Path], T]) -> T:
    if not path.exists():
        flag = " --x25519" if what == "identity" else ""
        raise InputOutputError(f"{what} file {path} does not exist",
                               hint=f"check the path, or create one with `securecomp keygen{flag} -o FILE`")
    if readable_by_others(path):
        print(f"warning: {what} file {path} is readable by group or others; `chmod 600 {path}`", file=sys.stderr)
    return read(path)


def read_recipients_file(path: str | None) -> list[str]:
    """The recipients in ``path``, one per line; blank lines and lines starting with # are skipped."""
    if path is None:
        return []
    lines = _read_file(Path(path))[: 1 << 20].decode("utf-8", "replace").splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text and not text.startswith("#"):
            try:
                found.append(str(parse_recipient(text)))
            except ParameterError as exc:
                raise ParameterError(f"{path}, line {number}: {exc}", hint=exc.hint) from None
    if not found or len(found) > MAX_RECIPIENTS:
        raise ParameterError(f"{path} holds {len(found)} recipients; give 1 to {MAX_RECIPIENTS}",
                             hint="write one scpub1... recipient per line")
    return found


def read_password_file(path: Path) -> bytes:
    """The first line of ``path``, without its line ending; an empty password is refused."""
    data = _read_file(path, MAX_PASSWORD_FILE)
    line = data.split(b"\n", 1)[0].removesuffix(b"\r")
    if not line:
        raise ParameterError(f"the password file {path} starts with an empty line",
                             hint="write the password on the first line of the file")
    return line


def prompt_password(*, confirm: bool) -> str:
    if not terminal_available():
        raise UsageError("no terminal to read the password from",
                         hint="use --key-file FILE or --password-file FILE")
    password = getpass.getpass("Enter password: ")
    if not password:
        raise ParameterError("the password is empty", hint="type a password, or use --key-file FILE")
    if confirm and getpass.getpass("Confirm password: ") != password:
        raise ParameterError("the passwords do not match", hint="type the same password twice")
    return password


def terminal_available() -> bool:
    """True when getpass can prompt on a terminal (the controlling tty, or a tty on stdin)."""
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
        return True
    except OSError:
        return sys.stdin is not None and sys.stdin.isatty()


# --- errors ------------------------------------------------------------------------------------

def report_error(message: str, hint: str = "") -> None:
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def report_os_error(exc: OSError) -> int:
    where = f"{shown_path(exc.filename)}: " if exc.filename else ""
    report_error(f"{where}{exc.strerror or exc}", "check that the input exists and the output folder is writable")
    return InputOutputError.exit_code


def shown_path(filename: object) -> str:
    """``filename`` as a message shows it: an atomic write's temporary file becomes its target's name."""
    text = os.fsdecode(filename) if isinstance(filename, (str, bytes, os.PathLike)) else str(filename)
    folder, name = os.path.split(text)
    match = _TEMPORARY.match(name)
    return os.path.join(folder, match["name"]) if match else text


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Print every warning raised inside as one ``warning: ...`` line on stderr (after the block)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                print_warning(str(warning.message))


def print_warning(message: str) -> None:
    print(f"warning: {' '.join(message.split())}", file=sys.stderr)
