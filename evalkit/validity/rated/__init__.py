"""Human-rated replies: the data that tells how far a scorer can be trusted (datasets/rated/README.md)."""

from evalkit.validity.rated.formats import load_rated, write_flat, write_nested
from evalkit.validity.rated.model import RatedCandidate, RatedItem, RatedSet

__all__ = ["RatedCandidate", "RatedItem", "RatedSet", "load_rated", "write_flat", "write_nested"]
