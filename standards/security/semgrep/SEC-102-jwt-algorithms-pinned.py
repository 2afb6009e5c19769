import jwt
from joserfc import jwt as jose_jwt

ALGORITHMS = ["RS256"]


def trusting_header(token: str, key: str) -> dict:
    header = jwt.get_unverified_header(token)
    # ruleid: jwt-algorithms-pinned.python
    return jwt.decode(token, key, algorithms=[header["alg"]])


def inline_header(token: str, key: str) -> dict:
    # ruleid: jwt-algorithms-pinned.python
    return jwt.decode(token, key, algorithms=jwt.get_unverified_header(token)["alg"])


def allows_none(token: str, key: str) -> dict:
    # ruleid: jwt-algorithms-pinned.python
    return jwt.decode(token, key, algorithms=["HS256", "none"])


def unsigned(claims: dict) -> str:
    # ruleid: jwt-algorithms-pinned.python
    return jwt.encode(claims, None, algorithm="none")


def no_list(token: str, key: str) -> dict:
    # ruleid: jwt-algorithms-pinned.python
    return jwt.decode(token, key)


def joserfc_default(token: str, key: object) -> dict:
    # ruleid: jwt-algorithms-pinned.python
    return jose_jwt.decode(token, key).claims


def pinned(token: str, key: str) -> dict:
    # ok: jwt-algorithms-pinned.python
    return jwt.decode(token, key, algorithms=ALGORITHMS, audience="feedchat")


def pinned_literal(token: str, key: str) -> dict:
    # The header is read only to choose the key by kid.
    kid = jwt.get_unverified_header(token)["kid"]
    # ok: jwt-algorithms-pinned.python
    return jwt.decode(token, key[kid], algorithms=["ES256"])


def joserfc_pinned(token: str, key: object) -> dict:
    # ok: jwt-algorithms-pinned.python
    return jose_jwt.decode(token, key, algorithms=["EdDSA"]).claims


def signing(claims: dict, key: str) -> str:
    # ok: jwt-algorithms-pinned.python
    return jwt.encode(claims, key, algorithm="HS256")
