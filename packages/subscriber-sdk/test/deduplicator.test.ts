/** `createDeduplicator`: remembers ids for a TTL, at most `maxEntries`, forgetting the oldest first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeduplicator } from '../src/index.ts';

test('seen() is false the first time and true afterwards', () => {
  const dedup = createDeduplicator();
  assert.equal(dedup.seen('a'), false);
  assert.equal(dedup.seen('a'), true);
  assert.equal(dedup.seen('b'), false);
  assert.equal(dedup.size, 2);
});

test('ids are forgotten after ttlMs (on a virtual clock)', () => {
  let now = 1_000;
  const dedup = createDeduplicator({ ttlMs: 100, now: () => now });
  assert.equal(dedup.seen('a'), false);
  now += 99;
  assert.equal(dedup.seen('a'), true, 'still within the TTL');
  now += 1;
  assert.equal(dedup.has('a'), false, 'the TTL counts from the first sighting');
  assert.equal(dedup.seen('a'), false);
  now += 50;
  assert.equal(dedup.seen('b'), false);
  now += 60;
  assert.equal(dedup.size, 1, 'a expired, b did not');
  assert.equal(dedup.has('b'), true);
});

test('at most maxEntries ids are kept: the oldest go first', () => {
  const dedup = createDeduplicator({ maxEntries: 3 });
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(dedup.seen(id), false);
  assert.equal(dedup.size, 3);
  assert.equal(dedup.has('a'), false);
  for (const id of ['b', 'c', 'd']) assert.equal(dedup.has(id), true);
  for (let i = 0; i < 10_000; i++) dedup.seen(`x${i}`);
  assert.equal(dedup.size, 3);
});

test('has/add/delete let a receiver record an id only once it processed the event', () => {
  const dedup = createDeduplicator();
  assert.equal(dedup.has('a'), false);
  assert.equal(dedup.size, 0, 'has() records nothing');
  dedup.add('a');
  assert.equal(dedup.has('a'), true);
  dedup.delete('a');
  assert.equal(dedup.has('a'), false);
});

test('bad options are refused', () => {
  assert.throws(() => createDeduplicator({ maxEntries: 0 }), RangeError);
  assert.throws(() => createDeduplicator({ maxEntries: 1.5 }), RangeError);
  assert.throws(() => createDeduplicator({ ttlMs: 0 }), RangeError);
  assert.throws(() => createDeduplicator({ ttlMs: Number.NaN }), RangeError);
});
