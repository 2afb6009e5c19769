import jwt from 'jsonwebtoken';

export function subjectOf(token: string) {
  return (jwt.decode(token) as { sub: string }).sub; // expect: SEC-101
}

export function sessionId() {
  const sessionId = Math.random().toString(36).slice(2); // expect: SEC-111
  return sessionId;
}

export function calculate(expression: string) {
  return eval(expression); // expect: SEC-113
}
