"""The `clean` stage: raw bytes in, the main story (and what was cut, and why) out."""

from workers.clean.core import Cleaned, CleanOptions, clean
from workers.clean.decode import decode

__all__ = ["CleanOptions", "Cleaned", "clean", "decode"]
