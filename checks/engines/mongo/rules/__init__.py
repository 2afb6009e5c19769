"""The audit's checks, one module per concern; each function enforces one DATA rule."""
