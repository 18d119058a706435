"""Versions and the schema gate, the annotation diff, and publishing to the Hub.

Other packages import only these names (scripts/core/lazy.py)."""
from scripts.core.lazy import exports

__getattr__, __dir__ = exports(__name__, {
    'release': 'versions',
    'ReleaseIncomplete': 'versions',
    'diff': 'annotation_diff',
    'load_side': 'annotation_diff',
    'as_text': 'annotation_diff',
    'summary': 'annotation_diff',
    'publish': 'hub',
    'PublishRefused': 'hub',
})
