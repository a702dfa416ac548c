"""Presentation maths shared by every page: number formats, colour scales, histogram bins."""
