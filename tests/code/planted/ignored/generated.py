def calculate(expression: str) -> float:
    return eval(expression)
