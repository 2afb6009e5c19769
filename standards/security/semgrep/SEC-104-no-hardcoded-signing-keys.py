import hmac
import os

import jwt
from joserfc.jwk import OctKey

# ruleid: no-hardcoded-signing-keys.python
JWT_SECRET = "s3cr3t-signing-key-2024"
# ruleid: no-hardcoded-signing-keys.python
signing_key: str = "k9Vq2mZ8pL4xR7tY"

# The name of the environment variable, not the secret.
# ok: no-hardcoded-signing-keys.python
JWT_SECRET_ENV = "JWT_SECRET"
# ok: no-hardcoded-signing-keys.python
API_KEY = os.environ["API_KEY"]
# ok: no-hardcoded-signing-keys.python
SECRET_KEY = ""
# ok: no-hardcoded-signing-keys.python
TOKEN_ISSUER = "https://id.example.com"


def mint(claims: dict) -> str:
    # ruleid: no-hardcoded-signing-keys.python
    return jwt.encode(claims, "dev-secret", algorithm="HS256")


def check(token: str) -> dict:
    # ruleid: no-hardcoded-signing-keys.python
    return jwt.decode(token, "dev-secret", algorithms=["HS256"])


def oct_key() -> OctKey:
    # ruleid: no-hardcoded-signing-keys.python
    return OctKey.import_key("a-shared-hmac-secret")


def webhook_signature(body: bytes) -> str:
    # ruleid: no-hardcoded-signing-keys.python
    return hmac.new(b"whsec_1234567890", body, "sha256").hexdigest()


def mint_from_env(claims: dict) -> str:
    # ok: no-hardcoded-signing-keys.python
    return jwt.encode(claims, os.environ["JWT_SECRET"], algorithm="HS256")


def webhook_from_env(body: bytes) -> str:
    # ok: no-hardcoded-signing-keys.python
    return hmac.new(os.environb[b"WEBHOOK_SECRET"], body, "sha256").hexdigest()
