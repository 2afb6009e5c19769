import vm from 'node:vm';

export function calculate(expression: string) {
  // ruleid: no-eval-of-dynamic-code.typescript
  return eval(expression);
}

export function compileRule(source: string) {
  // ruleid: no-eval-of-dynamic-code.typescript
  return new Function('user', source);
}

export function sandbox(code: string) {
  // ruleid: no-eval-of-dynamic-code.typescript
  return vm.runInNewContext(code, {});
}

export function parse(text: string) {
  // ok: no-eval-of-dynamic-code.typescript
  return JSON.parse(text);
}

export function firstMatch(pattern: RegExp, text: string) {
  // ok: no-eval-of-dynamic-code.typescript
  return pattern.exec(text);
}
