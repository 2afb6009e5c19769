"""One module per OpenAPI rule; each registers its check with :func:`checks.engines.openapi.lint.check`."""
