"""Vocabularies, column specs, HF features and pandera schemas of the published tables."""
