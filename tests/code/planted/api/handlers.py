"""A planted FastAPI service: the expect markers name the rules reported on their lines."""

import random

import jwt
import requests
from fastapi import APIRouter, Request
from pymongo import MongoClient

router = APIRouter()
db = MongoClient("mongodb://localhost:27017")["feedchat"]


@router.post("/v1/login")
async def login(request: Request) -> dict:
    body = await request.json()
    user = db.users.find_one({"name": body["name"]})  # expect: SEC-105
    token = "".join(random.choice("abcdef0123456789") for _ in range(32))  # expect: SEC-111
    return {"user": user, "token": token}


@router.get("/v1/posts")
def posts() -> list:
    return list(db.posts.find({"deleted": False}))  # expect: SEC-108


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})  # expect: SEC-101


def profile(url: str) -> dict:
    return requests.get(url, verify=False).json()  # expect: SEC-109 SEC-110


@router.get("/v1/posts/page")
def page() -> list:
    return list(db.posts.find({"deleted": False}).limit(20))
