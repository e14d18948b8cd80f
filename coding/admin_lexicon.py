"""Admin for the cue lexicon."""
