import logging

from fastapi import Request

logger = logging.getLogger(__name__)


def on_request(request: Request) -> None:
    # ruleid: no-secrets-in-logs.python
    logger.info("incoming request headers=%s", request.headers)
    # ruleid: no-secrets-in-logs.python
    logger.debug("auth header: %s", request.headers.get("authorization"))


def login(username: str, password: str) -> None:
    # ruleid: no-secrets-in-logs.python
    logger.warning("login failed for %s with password %s", username, password)


def refreshed(user_id: str, access_token: str) -> None:
    # ruleid: no-secrets-in-logs.python
    print(f"new token for {user_id}: {access_token}")


def on_request_ok(request: Request, user_id: str) -> None:
    # ok: no-secrets-in-logs.python
    logger.info("request %s %s by %s", request.method, request.url.path, user_id)


def refreshed_ok(user_id: str, access_token: str, token_id: str) -> None:
    # ok: no-secrets-in-logs.python
    logger.info("token expired for %s (jti=%s)", user_id, token_id)
    # ok: no-secrets-in-logs.python
    logger.debug("token length %d", len(access_token))
