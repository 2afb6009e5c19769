import https from 'node:https';
import { MongoClient } from 'mongodb';

// ruleid: tls-verification-enabled.typescript
export const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

// ruleid: tls-verification-enabled.typescript
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

// ruleid: tls-verification-enabled.typescript
export const db = new MongoClient(process.env.MONGODB_URI as string, { tls: true, tlsAllowInvalidCertificates: true });

// ok: tls-verification-enabled.typescript
export const agentOk = new https.Agent({ keepAlive: true, ca: process.env.PRIVATE_CA });

// ok: tls-verification-enabled.typescript
export const dbOk = new MongoClient(process.env.MONGODB_URI as string, { tls: true, tlsCAFile: '/etc/ssl/mongo-ca.pem' });

// ok: tls-verification-enabled.typescript
export const strict = new https.Agent({ rejectUnauthorized: true });
