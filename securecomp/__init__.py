"""securecomp: compress images, then encrypt the bits in an authenticated container.

High-level API only; see README.md. Low-level primitives live in :mod:`securecomp.hazmat`.
"""

from .api import decrypt, encrypt
from .codec.bitstream import compress, decompress
from .errors import DecryptionError, FormatError, SecurecompError
from .keys import generate_key
from .recipients import Identity, generate_identity

__version__ = "0.1.0"
__all__ = ["encrypt", "decrypt", "compress", "decompress", "generate_key", "generate_identity", "Identity",
           "SecurecompError", "FormatError", "DecryptionError", "__version__"]
