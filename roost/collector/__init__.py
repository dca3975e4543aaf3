"""The collector: hourly snapshots of every tracked X user (and, later, their timelines)."""
