"""The closed vocabularies of the corpus: the one place they are defined.

The Label Studio config (annotations/labeling_config.xml), the importer, the
pandera schemas and the Hugging Face ClassLabel features all read them here.
"""

# OntoNotes 5 name types without the numeric ones (those are the figures layer).
ENTITY_LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT",
    "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "DATE", "TIME",
)
CLAIM, CUE, FIGURE = "CLAIM", "CUE", "FIGURE"
SPAN_LABELS = (CLAIM, CUE, FIGURE)

# Relations, always drawn from the claim.
CLAIMANT_RELATION, CUE_RELATION = "claimant", "cue"
RELATION_LABELS = (CLAIMANT_RELATION, CUE_RELATION)

CLAIM_KINDS = (
    "direct",    # quoted words: "…," said X
    "indirect",  # reported speech: X said (that) …
    "reported",  # sourced report: according to X / X reported …
)
FIGURE_APPROX = (
    "exact",        # 12 out of 34, 224 people
    "approximate",  # nearly 800,000, about, around
    "lower_bound",  # more than 30, at least
    "upper_bound",  # up to 50 miles, within 10 km, less than 10%
)
FIGURE_KINDS = ("count", "money", "percent", "distance", "duration", "rate")
CLAIMANT_TYPES = (
    "named",    # a claimant relation links the entity mention that names the source
    "unnamed",  # a source without a name: analysts, the ministry, local sources
    "none",     # no source at all: reportedly, purportedly, it has been claimed
)
# Token-level `ner` config: BIO tags over the entity labels.
NER_TAGS = ("O", *(f"{prefix}-{label}" for label in ENTITY_LABELS for prefix in ("B", "I")))

# Control-tag names of the labeling config: (Labels tags, per-region tags).
ENTITY_TAG, SPAN_TAG = "entity", "span"
ENTITY_ATTRIBUTES = ("entity_id", "canonical_name")
CLAIM_ATTRIBUTES = ("claim_kind", "claimant_type", "claim_group_id")
FIGURE_ATTRIBUTES = ("value", "value_max", "unit", "approx", "figure_kind")
# Choices tags and their vocabularies; every other attribute is free text.
CHOICE_ATTRIBUTES = {"claim_kind": CLAIM_KINDS, "claimant_type": CLAIMANT_TYPES, "approx": FIGURE_APPROX, "figure_kind": FIGURE_KINDS}
# claimant_type may be left out when a claimant relation says it (named).
OPTIONAL_ATTRIBUTES = ("value_max", "claim_group_id", "claimant_type")
# Document-level TextArea: the character range "start-end" a partial annotation covers (absent: all of it).
COVERAGE_TAG = "coverage"
