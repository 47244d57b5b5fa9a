"""python -m securecomp: the command line."""

from .cli import main

if __name__ == "__main__":     # not when multiprocessing workers import the main module
    raise SystemExit(main())
