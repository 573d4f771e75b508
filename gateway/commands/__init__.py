"""Subcommands of `lorekeeper`: one module per group, each with `register(subparsers)`."""
