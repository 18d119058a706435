"""The scorer, for a model against the gold and for one annotator against another; the baselines.

Other packages import only these names (scripts/core/lazy.py)."""
from scripts.core.lazy import exports

__getattr__, __dir__ = exports(__name__, {
    'Tally': 'agreement',
    'ATTRIBUTES': 'agreement',
    'LAYERS': 'agreement',
    'inter_annotator': 'agreement',
    'tally': 'agreement',
    'against_gold': 'agreement',
    'table': 'agreement',
    'add_arguments': 'cli',
    'run': 'cli',
    'add_baseline_arguments': 'baselines',
    'run_baselines': 'baselines',
    'score': 'scorer',
})
