from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Body, Request
from pydantic import BaseModel

router = APIRouter()


class Search(BaseModel):
    name: str


@router.post("/v1/search")
async def search(request: Request) -> list:
    # ruleid: mongo-operator-injection.python
    return list(db.users.find(await request.json()).limit(20))


@router.post("/v1/login")
async def login(request: Request) -> dict:
    body = await request.json()
    # ruleid: mongo-operator-injection.python
    user = db.users.find_one({"name": body["name"], "password_hash": hash_of(body["password"])})
    return {"ok": user is not None}


@router.get("/v1/users")
def by_query(request: Request) -> list:
    filters = dict(request.query_params)
    # ruleid: mongo-operator-injection.python
    return list(db.users.find(filters).limit(20))


@router.post("/v1/users/count")
def count(criteria: dict = Body(...)) -> int:
    # ruleid: mongo-operator-injection.python
    return db.users.count_documents(criteria)


@router.post("/v1/users/delete")
async def delete(payload: dict[str, Any]) -> int:
    # ruleid: mongo-operator-injection.python
    return db.users.delete_many({"team": payload["team"]}).deleted_count


@router.post("/v1/search/typed")
def typed(search: Search) -> list:
    # A pydantic model guarantees name is a string.
    # ok: mongo-operator-injection.python
    return list(db.users.find({"name": search.name}).limit(20))


@router.post("/v1/login/safe")
async def login_safe(request: Request) -> dict:
    body = await request.json()
    # ok: mongo-operator-injection.python
    user = db.users.find_one({"name": str(body["name"])})
    # ok: mongo-operator-injection.python
    same = db.users.find_one({"name": {"$eq": body["name"]}})
    return {"ok": user is not None and same is not None}


@router.get("/v1/posts/{post_id}")
async def post(post_id: str, request: Request) -> dict:
    # ok: mongo-operator-injection.python
    return db.posts.find_one({"_id": ObjectId(post_id)})


@router.post("/v1/search/validated")
async def validated(request: Request) -> list:
    search = Search.model_validate(await request.json())
    # ok: mongo-operator-injection.python
    return list(db.users.find({"name": search.name}).limit(20))
