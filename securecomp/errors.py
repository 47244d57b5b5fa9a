"""The one exception hierarchy of securecomp.

Every error raised for bad input derives from :class:`SecurecompError`. Each class carries a
one-line ``hint`` the command line prints under ``error:``, and an ``exit_code`` the command line
exits with (documented in README.md).
"""

from __future__ import annotations

__all__ = [
    "SecurecompError",
    "FormatError",
    "KeyFileError",
    "DecodeLimitError",
    "DecryptionError",
    "ParameterError",
    "UnsupportedImageError",
    "MultiFrameImageError",
    "CodecError",
    "TransportError",
    "BatchError",
    "UsageError",
    "InputOutputError",
    "OutputExistsError",
    "LegacyFormatWarning",
    "ImageConversionWarning",
]


class SecurecompError(Exception):
    """Base class of every error securecomp raises for bad input."""

    exit_code = 1
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = self.default_hint if hint is None else hint


class FormatError(SecurecompError, ValueError):
    """Bytes that are not a well-formed securecomp container, bitstream or key."""

    exit_code = 4
    default_hint = "the input is not a securecomp file or was damaged; `securecomp inspect FILE` shows its header"


class KeyFileError(FormatError):
    """A key file that is missing its header, damaged (checksum mismatch) or of an unknown version."""

    default_hint = "create a fresh key with `securecomp keygen -o FILE`, or restore the key file from a backup"


class DecodeLimitError(FormatError):
    """An image that declares more pixels than the reader allows decoding (``max_pixels`` of
    decompress / decrypt, or Pillow's decompression-bomb limit): refused before its body is decoded."""

    default_hint = "if you trust the input, pass a larger max_pixels= (at most 2**28, the format's limit)"


class DecryptionError(SecurecompError):
    """Authentication failed: wrong key or password, or the container was modified."""

    exit_code = 3
    default_hint = "check the key file or password; if they are right, the file was modified or truncated"


class ParameterError(SecurecompError, ValueError):
    """An argument outside its documented range (quality, cipher suite, key length, ...)."""

    exit_code = 2
    default_hint = "see `securecomp --help` for the accepted values"


class UnsupportedImageError(SecurecompError, ValueError):
    """An image whose mode, dtype, shape or size securecomp cannot carry."""

    exit_code = 5
    default_hint = ("supported: L, RGB, RGBA (8-bit) and 16-bit grayscale images, in PNG, JPEG, WebP, TIFF or "
                    "another format Pillow reads")


class MultiFrameImageError(UnsupportedImageError):
    """An image with several frames (an animated GIF, PNG or WebP, a multi-page TIFF): a container
    carries one frame, so the image is refused rather than cut to its first frame without a word."""

    default_hint = ("to encrypt the first frame only, pass --first-frame (first_frame=True of "
                    "securecomp.images.to_image); or save each frame as its own file")


class CodecError(SecurecompError):
    """A codec failed to encode or decode, or a codec id is unknown."""

    exit_code = 6
    default_hint = "`securecomp encrypt --help` lists the codecs"


class TransportError(SecurecompError):
    """A peer sent bytes that are not a securecomp frame: bad magic, a truncated frame, a size over the
    limit, or the connection broke in the middle of a frame (securecomp.transport)."""

    exit_code = 5
    default_hint = "the peer is not a securecomp sender, or the connection was cut; ask it to send again"


class BatchError(SecurecompError):
    """A batch run finished, but some files failed (each failure is recorded in the manifest)."""

    exit_code = 7
    default_hint = "see the manifest's lines with \"status\": \"error\"; run the same command again to retry them"


class UsageError(SecurecompError):
    """The command line itself is wrong (unknown option, missing argument, ...)."""

    exit_code = 2
    default_hint = "see `securecomp --help`"


class InputOutputError(SecurecompError):
    """An input that cannot be read, or an output that cannot be written."""

    exit_code = 5
    default_hint = "check the path and its permissions"


class OutputExistsError(SecurecompError):
    """The output file exists and overwriting was not asked for."""

    exit_code = 5
    default_hint = "pass --force to overwrite it, or choose another output path"


class LegacyFormatWarning(UserWarning):
    """A file in an older format was read: it opens, but lacks a later format's guarantees."""


class ImageConversionWarning(UserWarning):
    """An input image was changed on its way into a container: CMYK converted to RGB, or only the
    first of several frames taken (when asked for)."""
