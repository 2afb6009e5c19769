from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
# ruleid: cors-no-credentials-with-any-origin.python
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])

other = FastAPI()
# ruleid: cors-no-credentials-with-any-origin.python
other.add_middleware(CORSMiddleware, allow_credentials=True, allow_origin_regex=".*")

public = FastAPI()
# Any origin without credentials is fine for a public, read-only API.
# ok: cors-no-credentials-with-any-origin.python
public.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])

private = FastAPI()
# ok: cors-no-credentials-with-any-origin.python
private.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)
