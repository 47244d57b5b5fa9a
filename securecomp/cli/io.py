"""Input, output, secrets and error reporting for the command line.

Manners, after age: binary output never goes to a terminal, output files appear atomically or not
at all, an existing output needs --force, passwords come from the terminal or a file.
"""

from __future__ import annotations

import getpass
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image

from .._atomic import atomic_write
from ..errors import InputOutputError, OutputExistsError, ParameterError, UnsupportedImageError, UsageError
from ..images import apply_exif_orientation, pillow_errors
from ..keys import read_key_file, readable_by_others
from ..recipients import MAX_RECIPIENTS, parse_recipient, read_identity_file
from ..secret import Key, Password, Recipients, Secret

T = TypeVar("T")
STDIO = "-"
MAX_PASSWORD_FILE = 1 << 16
LOSSLESS_FORMAT = "PNG"


def is_stdio(path: str | None) -> bool:
    return path is None or path == STDIO


# --- input -------------------------------------------------------------------------------------

def read_input(path: str | None) -> bytes:
    """The bytes of ``path``, or of stdin for ``-``/None (refused when stdin is a terminal)."""
    if path is not None and not is_stdio(path):
        return _read_file(Path(path))
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        raise UsageError("no input: stdin is a terminal",
                         hint="give an input FILE, or pipe the data in (`... | securecomp COMMAND -`)")
    return stdin.buffer.read()


def _read_file(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes, or its first ``limit`` bytes without reading the rest (/dev/zero ends)."""
    _check_readable(path)
    if limit is None:
        return path.read_bytes()
    with path.open("rb") as handle:
        return handle.read(limit)


def image_input(path: str | None) -> str | Image.Image:
    """What securecomp.encrypt takes: the path of an image file, or the image piped to stdin."""
    if path is not None and not is_stdio(path):
        _check_readable(Path(path))
        return str(path)
    with pillow_errors(UnsupportedImageError, "cannot read the image on stdin"):
        # the pixels a viewer shows, as for files
        image = apply_exif_orientation(Image.open(io.BytesIO(read_input(path))))
    return image


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
        atomic_write(path, data, mode=mode, overwrite=force)


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
    where = f"{exc.filename}: " if exc.filename else ""
    report_error(f"{where}{exc.strerror or exc}", "check that the input exists and the output folder is writable")
    return InputOutputError.exit_code
