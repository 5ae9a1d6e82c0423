"""Runs the `modelcatalog` command."""

from __future__ import annotations

from api.cli import main

main(prog_name="modelcatalog")
