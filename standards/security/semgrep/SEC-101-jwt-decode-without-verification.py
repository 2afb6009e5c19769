import jwt
from joserfc import jws
from joserfc import jwt as jose_jwt


def claims_of(token: str) -> dict:
    # ruleid: jwt-decode-without-verification.python
    return jwt.decode(token, options={"verify_signature": False})


def subject_of(token: str) -> str:
    # ruleid: jwt-decode-without-verification.python
    opts = dict(verify_signature=False)
    return jwt.decode(token, "ignored", algorithms=["HS256"], options=opts)["sub"]


def legacy(token: str) -> dict:
    # ruleid: jwt-decode-without-verification.python
    return jwt.decode(token, verify=False)


def peek(token: str) -> bytes:
    # ruleid: jwt-decode-without-verification.python
    return jws.extract_compact(token.encode()).payload


def verified(token: str, key: str) -> dict:
    # ok: jwt-decode-without-verification.python
    return jwt.decode(token, key, algorithms=["HS256"], audience="feedchat")


def key_id(token: str) -> str:
    # The header is read only to pick the key; the token is verified afterwards.
    # ok: jwt-decode-without-verification.python
    return jwt.get_unverified_header(token)["kid"]


def expiry_leeway(token: str, key: str) -> dict:
    # ok: jwt-decode-without-verification.python
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_signature": True, "require": ["exp"]})


def joserfc_verified(token: str, key: object) -> dict:
    # ok: jwt-decode-without-verification.python
    return jose_jwt.decode(token, key, algorithms=["EdDSA"]).claims
