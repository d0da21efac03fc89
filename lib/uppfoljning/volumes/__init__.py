"""Volumes, staff and committee indicators: the measure catalogue and the volume report."""
