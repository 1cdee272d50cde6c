// The in-memory nonce store: once only, until the TTL passes; bounded, refusing rather than evicting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceStoreFullError, createMemoryNonceStore } from '../src/index.ts';

test('a nonce is new once, then refused until it expires', () => {
  let now = 0;
  const store = createMemoryNonceStore({ now: () => now });
  assert.equal(store.remember('a', 1000), true);
  assert.equal(store.remember('a', 1000), false);
  assert.equal(store.remember('b', 1000), true);
  now = 999;
  assert.equal(store.remember('a', 1000), false);
  now = 1000;
  assert.equal(store.remember('a', 1000), true);
  // Expired entries are pruned as the store is used.
  assert.equal(store.size, 1);
});

test('a full store refuses new nonces instead of forgetting live ones', () => {
  let now = 0;
  const store = createMemoryNonceStore({ now: () => now, maxEntries: 2 });
  assert.equal(store.remember('a', 10_000), true);
  assert.equal(store.remember('b', 100), true);
  assert.throws(() => store.remember('c', 100), NonceStoreFullError);
  assert.equal(store.remember('a', 100), false);
  now = 100;
  // 'b' expired (behind the longer-lived 'a'): the sweep frees its place.
  assert.equal(store.remember('c', 100), true);
  assert.equal(store.remember('a', 100), false);
});
