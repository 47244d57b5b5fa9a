"""python -m securecomp: the command line."""

from .cli import main

raise SystemExit(main())
