from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter()


@router.get("/v1/posts")
def list_posts() -> list:
    # ruleid: bounded-queries-in-handlers.python
    return list(db.posts.find({"deleted": False}))


@app.get("/v1/users")
async def list_users(team: str) -> list:
    query = {"team": team}
    # ruleid: bounded-queries-in-handlers.python
    return [u async for u in db.users.find(query).sort("name")]


@router.get("/v1/everything")
async def everything() -> list:
    # ruleid: bounded-queries-in-handlers.python
    return await db.posts.find().to_list(None)


@router.get("/v1/posts/page")
def page(limit: int = 20) -> list:
    # ok: bounded-queries-in-handlers.python
    return list(db.posts.find({"deleted": False}).sort("_id", -1).limit(min(limit, 100)))


@router.get("/v1/posts/kw")
def page_kw() -> list:
    # ok: bounded-queries-in-handlers.python
    return list(db.posts.find({"deleted": False}, limit=50))


@router.get("/v1/posts/later")
def page_later() -> list:
    # ok: bounded-queries-in-handlers.python
    cursor = db.posts.find({"deleted": False})
    cursor.limit(50)
    return list(cursor)


@router.get("/v1/posts/async")
async def page_async() -> list:
    # ok: bounded-queries-in-handlers.python
    return await db.posts.find({"deleted": False}).to_list(50)


@router.get("/v1/posts/slice")
def page_slice() -> list:
    # ok: bounded-queries-in-handlers.python
    return list(db.posts.find({"deleted": False})[:50])


@router.get("/v1/users/{email}")
def domain(email: str) -> dict:
    # str.find is not a query.
    # ok: bounded-queries-in-handlers.python
    at = email.find("@")
    return {"domain": email[at + 1 :]}


def export_all() -> list:
    # Not a request handler (a batch job owns its own limits).
    # ok: bounded-queries-in-handlers.python
    return list(db.posts.find({}))
