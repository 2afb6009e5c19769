import random
import secrets
import string


def reset_link(user_id: str) -> str:
    # ruleid: secure-randomness-for-secrets.python
    token = "".join(random.choice(string.ascii_letters) for _ in range(32))
    return f"https://app.example.com/reset?user={user_id}&token={token}"


def generate_otp() -> str:
    # ruleid: secure-randomness-for-secrets.python
    return f"{random.randint(0, 999999):06d}"


def invite() -> dict:
    # ruleid: secure-randomness-for-secrets.python
    invite_code = random.getrandbits(64)
    return {"code": invite_code}


def api_key() -> str:
    # ruleid: secure-randomness-for-secrets.python
    return "".join(random.choices(string.hexdigits, k=40))


def reset_link_ok(user_id: str) -> str:
    # ok: secure-randomness-for-secrets.python
    token = secrets.token_urlsafe(32)
    return f"https://app.example.com/reset?user={user_id}&token={token}"


def backoff(attempt: int) -> float:
    # Jitter for retries does not need to be unpredictable.
    # ok: secure-randomness-for-secrets.python
    return min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)


def pick_replica(replicas: list[str]) -> str:
    # ok: secure-randomness-for-secrets.python
    return random.choice(replicas)


def sample_for_tracing() -> bool:
    # ok: secure-randomness-for-secrets.python
    sampled = random.random() < 0.01
    return sampled
