"""Admin for stories and suggestions (the review queue)."""
