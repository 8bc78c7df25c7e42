"""Accessibility, coverage, indicators, siting and export for community service circles."""
