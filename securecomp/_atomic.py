"""Atomic file output: write a temporary file beside the target, fsync, then rename over it.

:func:`write_beneath` writes under a root folder without following any symbolic link on the way
down (each folder is opened with ``O_NOFOLLOW`` relative to its parent's descriptor), so a symlink
planted in an output tree cannot send a write outside it.

``mode`` is what open(2) takes: the umask narrows it. Outputs get ``0o666 & ~umask`` (a decrypted
image is never more open than the user's umask allows), secret files ``0o600 & ~umask``.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path, PurePosixPath

from .errors import OutputExistsError

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def atomic_write(path: str | os.PathLike, data: bytes, *, mode: int = 0o666, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    target = Path(path)
    if not overwrite and target.exists():
        raise OutputExistsError(f"{target} already exists")
    folder = os.open(target.parent, _FOLDER)
    try:
        _write_in(folder, target.name, data, mode=mode, overwrite=overwrite, shown=str(target))
    finally:
        os.close(folder)


def write_beneath(root: str | os.PathLike, relative: str, data: bytes, *, mode: int = 0o666,
                  overwrite: bool = False) -> None:
    """Atomically write ``root/relative`` (``/``-separated), creating the folders on the way, never
    through a symbolic link below ``root``: a symlinked folder raises OSError (ELOOP)."""
    parts = relative_parts(relative)
    folder = open_folders_beneath(root, parts[:-1], create=True)
    try:
        _write_in(folder, parts[-1], data, mode=mode, overwrite=overwrite, shown=relative)
    finally:
        os.close(folder)


def relative_parts(relative: str) -> tuple[str, ...]:
    """The names of a relative ``/``-separated path; ValueError for an absolute path, ``.`` or ``..``."""
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(part in (".", "..") for part in path.parts):
        raise ValueError(f"{relative!r} is not a path beneath the output folder")
    return path.parts


def open_folders_beneath(root: str | os.PathLike, names: tuple[str, ...], *, create: bool) -> int:
    """A descriptor of ``root/names...``, each name opened with O_NOFOLLOW relative to the last."""
    folder = os.open(root, _FOLDER)
    try:
        for depth, name in enumerate(names, 1):
            if create:
                try:
                    os.mkdir(name, 0o777, dir_fd=folder)
                except FileExistsError:
                    pass
            try:
                child = os.open(name, _FOLDER | os.O_NOFOLLOW, dir_fd=folder)
            except OSError as exc:
                raise _not_a_real_folder(exc, folder, name, os.path.join(root, *names[:depth])) from None
            os.close(folder)
            folder = child
    except BaseException:
        os.close(folder)
        raise
    return folder


def _not_a_real_folder(exc: OSError, folder: int, name: str, shown: str) -> OSError:
    try:
        symlink = stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        symlink = False
    if symlink:
        return OSError(errno.ELOOP, "is a symbolic link; refusing to write through it", shown)
    return exc


def _write_in(folder: int, name: str, data: bytes, *, mode: int, overwrite: bool, shown: str) -> None:
    temporary = f".{name}.{secrets.token_hex(4)}.tmp"
    handle = os.open(temporary, _NEW_FILE, mode, dir_fd=folder)     # mode & ~umask
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
            os.fsync(handle)
        finally:
            os.close(handle)
        if overwrite:
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            try:        # link fails if the target appeared meanwhile: never clobber
                os.link(temporary, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
            except FileExistsError:
                raise OutputExistsError(f"{shown} already exists") from None
            os.unlink(temporary, dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=folder)
        except FileNotFoundError:
            pass
        raise
