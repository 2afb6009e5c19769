import ssl

import httpx
import requests
from pymongo import MongoClient


def fetch(url: str) -> dict:
    # ruleid: tls-verification-enabled.python
    return requests.get(url, timeout=5, verify=False).json()


def client() -> httpx.Client:
    # ruleid: tls-verification-enabled.python
    return httpx.Client(base_url="https://profiles.internal", verify=False)


def context() -> ssl.SSLContext:
    # ruleid: tls-verification-enabled.python
    return ssl._create_unverified_context()


def lax_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # ruleid: tls-verification-enabled.python
    ctx.check_hostname = False
    # ruleid: tls-verification-enabled.python
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def database(uri: str) -> MongoClient:
    # ruleid: tls-verification-enabled.python
    return MongoClient(uri, tls=True, tlsAllowInvalidCertificates=True)


# ruleid: tls-verification-enabled.python
DATABASE_URL = "mongodb://db.internal:27017/feedchat?tls=true&tlsInsecure=true"


def fetch_ok(url: str) -> dict:
    # ok: tls-verification-enabled.python
    return requests.get(url, timeout=5, verify="/etc/ssl/private-ca.pem").json()


def client_ok() -> httpx.Client:
    # ok: tls-verification-enabled.python
    return httpx.Client(base_url="https://profiles.internal", verify=ssl.create_default_context(cafile="ca.pem"))


def database_ok(uri: str) -> MongoClient:
    # ok: tls-verification-enabled.python
    return MongoClient(uri, tls=True, tlsCAFile="/etc/ssl/mongo-ca.pem")


# ok: tls-verification-enabled.python
DATABASE_URL_OK = "mongodb://db.internal:27017/feedchat?tls=true"
