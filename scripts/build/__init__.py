"""CI's release pipeline: the export read into tables, validated bucket by bucket, written as shards, the card, and the swap into place.

Other packages import only these names (scripts/core/lazy.py)."""
from scripts.core.lazy import exports

__getattr__, __dir__ = exports(__name__, {
    'build': 'pipeline',
    'read_release': 'pipeline',
    'dataset_version': 'pipeline',
    'CARD_FILES': 'pipeline',
    'ValidationFailed': 'pipeline',
    'locked': 'pipeline',
    'ConfigRelease': 'card',
    'card_data': 'card',
    'replace_blocks': 'card',
    'build_tables': 'tables',
    'Stopwatch': 'buckets',
    'DOCS_PER_BUCKET': 'buckets',
    'workers_for': 'importer',
    'to_arrow': 'shards',
    'PARQUET_OPTIONS': 'shards',
    'SHARD_ROWS': 'shards',
    'ROW_GROUP': 'shards',
    'DOCUMENT_SHARD_ROWS': 'shards',
    'DOCUMENT_ROW_GROUP': 'shards',
})
