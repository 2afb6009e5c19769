"""The ``python -m feedchat`` commands: ``serve``, ``token`` and ``jwks``."""

from __future__ import annotations

import logging

import click

from feedchat.auth import ROLES
from feedchat.contract import ContractError
from feedchat.issuer import DevIssuer, KeyFileError, jwks_json
from feedchat.settings import Settings


def _issuer(settings: Settings) -> DevIssuer:
    try:
        return DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Feedchat, the handbook's reference service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Run the API with uvicorn (embedded in-memory store unless MONGODB_URI is set)."""
    import uvicorn

    from feedchat.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(Settings.from_env())
    except (KeyFileError, ContractError) as exc:
        raise click.ClickException(str(exc)) from exc
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.command()
@click.option("--sub", required=True, help="The subject (user ID) of the token.")
@click.option(
    "--roles",
    default="member",
    show_default=True,
    help=f"Comma-separated roles: {', '.join(sorted(ROLES))}.",
)
@click.option("--ttl", default=900, show_default=True, type=click.IntRange(1, 86400), help="Lifetime in seconds.")
def token(sub: str, roles: str, ttl: int) -> None:
    """Print a bearer token signed by the development issuer."""
    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = sorted(set(wanted) - ROLES)
    if unknown:
        raise click.BadParameter(
            f"unknown role(s) {', '.join(unknown)}; use {', '.join(sorted(ROLES))}", param_hint="--roles"
        )
    if not sub.strip() or len(sub) > 255:
        raise click.BadParameter("give 1 to 255 characters", param_hint="--sub")
    click.echo(_issuer(Settings.from_env()).issue(sub, wanted, ttl))


@main.command()
def jwks() -> None:
    """Print the development issuer's public JWKS."""
    click.echo(jwks_json(_issuer(Settings.from_env()).jwks()))
