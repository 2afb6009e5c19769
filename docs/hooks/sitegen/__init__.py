"""Pages of the handbook site generated from the rule registry, the engines and the CLI."""
