"""`roost xsim`: an offline, deterministic X API v2 emulator (user lookups, user timelines, post lookup) that real
clients use unchanged. It imports nothing of Roost above `roost.core` and `roost.config`."""
