"""The text demo: a small T5 trained here on generated extractive questions, then compressed."""
