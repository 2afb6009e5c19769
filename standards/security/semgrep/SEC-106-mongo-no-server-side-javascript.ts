import { Code, Db } from 'mongodb';

export async function olderThan(db: Db, age: number) {
  // ruleid: mongo-no-server-side-javascript.typescript
  return db.collection('users').find({ $where: `this.age > ${age}` }).limit(20).toArray();
}

export async function scored(db: Db) {
  return db
    .collection('posts')
    // ruleid: mongo-no-server-side-javascript.typescript
    .aggregate([{ $addFields: { score: { $function: { body: 'function(l) { return l * 2 }', args: ['$likes'], lang: 'js' } } } }])
    .toArray();
}

// ruleid: mongo-no-server-side-javascript.typescript
export const mapper = new Code('function () { emit(this.author, 1); }');

export async function olderThanSafe(db: Db, age: number) {
  // ok: mongo-no-server-side-javascript.typescript
  return db.collection('users').find({ age: { $gt: age } }).limit(20).toArray();
}
