import jwt
from joserfc import jwt as jose_jwt


def lenient(token: str, key: str) -> dict:
    # ruleid: jwt-expiry-verified.python
    return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})


def lenient_dict(token: str, key: str) -> dict:
    # ruleid: jwt-expiry-verified.python
    options = dict(verify_exp=False, verify_aud=True)
    return jwt.decode(token, key, algorithms=["HS256"], options=options)


def signature_only(token: str, key: object) -> dict:
    # joserfc checks the signature only; claims such as exp need a JWTClaimsRegistry.
    # ruleid: jwt-expiry-verified.python
    return jose_jwt.decode(token, key, algorithms=["EdDSA"]).claims


def strict(token: str, key: str) -> dict:
    # ok: jwt-expiry-verified.python
    return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})


def strict_joserfc(token: str, key: object) -> dict:
    registry = jose_jwt.JWTClaimsRegistry(exp={"essential": True}, iss={"essential": True, "value": "id"})
    # ok: jwt-expiry-verified.python
    decoded = jose_jwt.decode(token, key, algorithms=["EdDSA"])
    registry.validate(decoded.claims)
    return decoded.claims


def explicit_true(token: str, key: str) -> dict:
    # ok: jwt-expiry-verified.python
    return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": True})


def nested(token: str, key: object) -> dict:
    try:
        with open("/dev/null"):
            # ok: jwt-expiry-verified.python
            decoded = jose_jwt.decode(token, key, algorithms=["EdDSA"])
        registry = jose_jwt.JWTClaimsRegistry(exp={"essential": True})
        registry.validate(decoded.claims)
    except ValueError:
        raise
    return decoded.claims


def validates_something_else(token: str, key: object, schema: object, body: dict) -> dict:
    schema.validate(body)
    # ruleid: jwt-expiry-verified.python
    return jose_jwt.decode(token, key, algorithms=["EdDSA"]).claims
