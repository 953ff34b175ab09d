"""The ``odibi-provider`` command line (also ``python -m odibi_provider``)."""

from .main import main

__all__ = ["main"]
