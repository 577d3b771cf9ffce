"""Human-rated replies: the data that tells how far a scorer can be trusted (datasets/rated/README.md)."""

from evalkit.rated.model import RatedCandidate, RatedItem, RatedSet
from evalkit.rated.readers import load_rated

__all__ = ["RatedCandidate", "RatedItem", "RatedSet", "load_rated"]
