"""The advisory in each of its formats, rendered from its facts (see facts.py)."""
