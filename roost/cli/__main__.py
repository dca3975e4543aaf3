"""`python -m roost.cli`: the same as the `roost` console script."""

from roost.cli import app

app()
