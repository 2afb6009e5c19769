"""The ``python -m feedchat`` commands: ``serve``, ``token``, ``jwks``, ``keys``, ``manifest`` and the reliability ones."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from feedchat.auth import ROLES
from feedchat.contract import ContractError
from feedchat.issuer import DevIssuer, KeyFileError, jwks_json
from feedchat.ratelimit import LimitConfigError
from feedchat.settings import Settings, SettingsError


def _issuer(settings: Settings) -> DevIssuer:
    try:
        return DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Feedchat, the handbook's reference service."""
    from feedchat.reliability.streams import StreamSettings

    try:
        Settings.from_env()
        StreamSettings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Run the API with uvicorn (embedded in-memory store unless MONGODB_URI is set).

    On the embedded store (or with FEEDCHAT_INPROCESS_PIPELINE=1) the outbox relay and one fan-out worker
    run in this process too, on REDIS_URL or an embedded fakeredis server.
    """
    import uvicorn

    from feedchat.app import create_app
    from feedchat.reliability.streams import StreamSettings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if not settings.pipeline_in_process:
        why = "MONGODB_URI is set" if settings.inprocess_pipeline is None else "FEEDCHAT_INPROCESS_PIPELINE is off"
        logging.getLogger("feedchat").info(
            "outbox relay and workers run as separate processes (%s): python -m feedchat relay | worker", why
        )
    try:
        app = create_app(settings, pipeline=StreamSettings.from_env() if settings.pipeline_in_process else None)
    except (KeyFileError, ContractError, LimitConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    from feedchat.routes.stream import close_streams_on_exit

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
    close_streams_on_exit(server, app.state.streams)
    server.run()


@main.command()
@click.option("--sub", required=True, help="The subject (user ID) of the token.")
@click.option(
    "--roles",
    default="member",
    show_default=True,
    help=f"Comma-separated roles: {', '.join(sorted(ROLES))}.",
)
@click.option("--ttl", default=900, show_default=True, type=click.IntRange(1, 86400), help="Lifetime in seconds.")
@click.option(
    "--claim",
    "claims",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a claim (digits become a number), e.g. exp=0 or aud=other; contract tests forge bad tokens so.",
)
def token(sub: str, roles: str, ttl: int, claims: tuple[str, ...]) -> None:
    """Print a bearer token signed by the development issuer."""
    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = sorted(set(wanted) - ROLES)
    if unknown:
        raise click.BadParameter(
            f"unknown role(s) {', '.join(unknown)}; use {', '.join(sorted(ROLES))}", param_hint="--roles"
        )
    if not sub.strip() or len(sub) > 255:
        raise click.BadParameter("give 1 to 255 characters", param_hint="--sub")
    issuer = _issuer(Settings.from_env())
    overrides: dict[str, str | int] = {}
    for item in claims:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write NAME=VALUE", param_hint="--claim")
        overrides[name.strip()] = int(value) if value.lstrip("-").isdigit() else value
    click.echo(issuer.issue(sub, wanted, ttl, claims=overrides) if overrides else issuer.issue(sub, wanted, ttl))


@main.command()
def jwks() -> None:
    """Print the development issuer's public JWKS."""
    click.echo(jwks_json(_issuer(Settings.from_env()).jwks()))


@main.group()
def keys() -> None:
    """Rotate the development issuer's signing key without restarting the service."""


@keys.command()
def rotate() -> None:
    """Sign new tokens with a new key; the old key keeps verifying tokens until it is retired."""
    settings = Settings.from_env()
    issuer = _issuer(settings)
    try:
        rotated = issuer.rotate(settings.dev_keys_dir)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"signing with {rotated.kid}; still verifying {', '.join(str(k.kid) for k in rotated.previous)}")


@keys.command()
@click.option("--kid", default=None, help="The previous key to retire; all previous keys when omitted.")
def retire(kid: str | None) -> None:
    """Stop trusting previous keys: tokens they signed are refused once the service re-reads its JWKS."""
    settings = Settings.from_env()
    try:
        gone = _issuer(settings).retire(settings.dev_keys_dir, kid)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"retired {', '.join(gone)}" if gone else "no previous keys to retire")


def _add_reliability_commands() -> None:
    """``worker``, ``relay``, ``dlq`` and ``streams`` from :mod:`feedchat.reliability.cli`."""
    from feedchat.reliability.cli import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_reliability_commands()


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 when FILE differs from the manifest the code declares.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def manifest(check: bool, file: Path | None) -> None:
    """Print the MongoDB manifest declared in feedchat/schema.py (or write it to FILE)."""
    from feedchat.manifest import manifest_yaml

    text = manifest_yaml()
    if file is None:
        if check:
            raise click.UsageError("--check needs a FILE")
        click.echo(text, nl=False)
    elif check:
        current = file.read_text(encoding="utf-8") if file.is_file() else None
        if current != text:
            raise click.ClickException(
                f"{file} differs from the declared collections; run: python -m feedchat manifest {file}"
            )
    else:
        file.write_text(text, encoding="utf-8")
