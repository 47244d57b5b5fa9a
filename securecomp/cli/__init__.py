"""The ``securecomp`` command line. Every argparse, printing and exit-code concern lives here.

* :mod:`.main`: :func:`main` and the parser of every command;
* :mod:`.options`: shared parent parsers and the validators;
* :mod:`.io`: input, output, secrets and ``error:``/``hint:`` lines;
* one module per command family: :mod:`.commands` (keygen, encrypt, decrypt, inspect, demo),
  :mod:`.batch`, :mod:`.train`, :mod:`.bench`, :mod:`.report`.

The library packages (securecomp.analysis, .codec, .hazmat) import no argparse and nothing of this
package; docs/architecture.md draws the layers. Building the parser loads neither torch, scipy nor
matplotlib (tests/test_startup.py): the commands that need them import them when they run.
"""

from .main import DEBUG_VARIABLE, build_parser, main

__all__ = ["main", "build_parser", "DEBUG_VARIABLE"]
