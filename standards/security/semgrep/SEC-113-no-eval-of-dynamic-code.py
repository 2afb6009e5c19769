import ast
import json
import pickle

import yaml


def calculate(expression: str) -> float:
    # ruleid: no-eval-of-dynamic-code.python
    return eval(expression)


def run_hook(source: str) -> None:
    # ruleid: no-eval-of-dynamic-code.python
    exec(source, {})


def restore(blob: bytes) -> object:
    # ruleid: no-eval-of-dynamic-code.python
    return pickle.loads(blob)


def settings(text: str) -> dict:
    # ruleid: no-eval-of-dynamic-code.python
    return yaml.load(text, Loader=yaml.Loader)


def parse(text: str) -> object:
    # ok: no-eval-of-dynamic-code.python
    return ast.literal_eval(text)


def body(text: str) -> dict:
    # ok: no-eval-of-dynamic-code.python
    return json.loads(text)


def settings_ok(text: str) -> dict:
    # ok: no-eval-of-dynamic-code.python
    return yaml.load(text, Loader=yaml.SafeLoader)


def inference(model: object) -> object:
    # A method named eval is not the builtin.
    # ok: no-eval-of-dynamic-code.python
    return model.eval()
