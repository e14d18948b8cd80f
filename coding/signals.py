"""Receivers: articles stored by ``ingest`` go to the coding stage; lexicon edits rebuild the
coder. Filled in by the stage and lexicon modules."""
