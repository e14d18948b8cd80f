"""The cue lexicon: seeds/cues-<language>.yaml into Cue rows, validated; the coder rebuilt
when it changes."""
