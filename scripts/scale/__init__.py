"""The benchmark, synthetic corpora of any size, and the Spark validation.

Other packages import only these names (scripts/core/lazy.py)."""
from scripts.core.lazy import exports

__getattr__, __dir__ = exports(__name__, {
    'report': 'benchmark',
    'run': 'benchmark',
})
