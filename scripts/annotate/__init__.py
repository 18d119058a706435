"""The annotators' loop: the Label Studio server, push, pull, passes, review and adjudication.

Other packages import only these names (scripts/core/lazy.py)."""
from scripts.core.lazy import exports

__getattr__, __dir__ = exports(__name__, {
    'up': 'server',
    'down': 'server',
    'connect': 'server',
    'sdk': 'server',
    'sign_up': 'server',
    'as_user': 'server',
    'project_id': 'server',
    'our_projects': 'server',
    'blind_title': 'server',
    'validate_config': 'server',
    'port_is_free': 'server',
    'Server': 'server',
    'ServerError': 'server',
    'Credentials': 'server',
    'LS_VENV': 'server',
    'DEFAULT_HOME': 'server',
    'HOST': 'server',
    'PROJECT_TITLE': 'server',
    'PARTS_TITLE': 'server',
    'push': 'push_tasks',
    'push_parts': 'push_tasks',
    'pull': 'pull_export',
    'snapshot': 'pull_export',
    'pseudonymize': 'pull_export',
    'load_mapping': 'pull_export',
    'review': 'adjudication',
    'adjudicate': 'adjudication',
    'AdjudicationError': 'adjudication',
    'enter_passes': 'passes',
    'enter_corrections': 'corrections',
    'figure_mentions': 'preannotate',
})
