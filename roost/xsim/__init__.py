"""`roost xsim`: an offline, deterministic X API v2 emulator (user lookup and user timeline)."""
