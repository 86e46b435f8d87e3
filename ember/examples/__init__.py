"""Runnable examples: `python -m ember.examples.gpt` trains a character-level GPT on Shakespeare."""
