from bson.code import Code


def older_than(db, age: int) -> list:
    # ruleid: mongo-no-server-side-javascript.python
    return list(db.users.find({"$where": f"this.age > {age}"}).limit(20))


def scored(db) -> list:
    pipeline = [
        # ruleid: mongo-no-server-side-javascript.python
        {"$addFields": {"score": {"$function": {"body": "function(l) { return l * 2 }", "args": ["$likes"], "lang": "js"}}}},
        {"$limit": 20},
    ]
    return list(db.posts.aggregate(pipeline))


def mapper() -> object:
    # ruleid: mongo-no-server-side-javascript.python
    return Code("function () { emit(this.author, 1); }")


def older_than_safe(db, age: int) -> list:
    # ok: mongo-no-server-side-javascript.python
    return list(db.users.find({"age": {"$gt": age}}).limit(20))


def with_expr(db) -> list:
    # ok: mongo-no-server-side-javascript.python
    return list(db.posts.find({"$expr": {"$gt": ["$likes", "$replies"]}}).limit(20))
