"""Explanations a facilitator can show: why, why not, what-if, paths to the next level."""
