import re

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/v1/users")
def search(q: str) -> list:
    # ruleid: mongo-regex-from-input.python
    return list(db.users.find({"name": {"$regex": q, "$options": "i"}}).limit(20))


@router.get("/v1/posts")
async def posts(request: Request) -> list:
    term = request.query_params.get("q", "")
    # ruleid: mongo-regex-from-input.python
    return list(db.posts.find({"title": re.compile(term)}).limit(20))


@router.post("/v1/users/search")
async def body_search(request: Request) -> list:
    body = await request.json()
    # ruleid: mongo-regex-from-input.python
    return list(db.users.find({"email": {"$regex": "^" + body["prefix"]}}).limit(20))


@router.get("/v1/users/prefix")
def prefix(q: str | None = None) -> list:
    # ok: mongo-regex-from-input.python
    return list(db.users.find({"name": {"$regex": "^" + re.escape(q or "")}}).limit(20))


@router.get("/v1/users/active")
def active() -> list:
    # ok: mongo-regex-from-input.python
    return list(db.users.find({"email": {"$regex": r"@example\.com$"}}).limit(20))
