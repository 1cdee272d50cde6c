/**
 * `createWebhookHandler` on a real node:http server: 200 for a verified new event (and for its
 * duplicates, without processing them again), 401 for a missing or bad signature, 400 for a signed body
 * that is not an event, 413 over the size cap, 405 for other methods, 500 when `onEvent` fails (and the
 * retry is processed), concurrent duplicates processed once, and keys from a function (rotation).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookHandler, type RejectionInfo, type RequestStatusChangedEvent, type WebhookHandlerOptions } from '../src/index.ts';
import { SAMPLE_APPROVED, SAMPLE_PENDING, concurSign, rsaKey, sampleWith } from './fixtures.ts';

const key = rsaKey();

/** A handler on a real server, with what it processed and refused. */
async function serve(options: Partial<WebhookHandlerOptions> = {}) {
  const events: RequestStatusChangedEvent[] = [];
  const rejections: RejectionInfo[] = [];
  const duplicates: string[] = [];
  const handler = createWebhookHandler({
    publicKeys: key.publicKeyPem,
    onEvent: (event) => {
      events.push(event);
    },
    onRejected: (info) => rejections.push(info),
    onDuplicate: (event) => duplicates.push(event.id),
    ...options,
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const post = async (body: string | Buffer, signature: string | null = concurSign(key.privateKey, body), headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'concur-signature': signature }), ...headers }, body: new Uint8Array(Buffer.from(body)) });
    return { status: response.status, body: (await response.json()) as { status: number; message: string } };
  };
  return {
    url,
    events,
    rejections,
    duplicates,
    post,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('createWebhookHandler', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve();
  });
  after(() => s.close());

  test('a signed event is processed once and acknowledged with 200; its duplicate gets 200 without processing', async () => {
    const first = await s.post(SAMPLE_PENDING, concurSign(key.privateKey, SAMPLE_PENDING), { 'concur-correlationid': 'corr-1' });
    assert.deepEqual(first, { status: 200, body: { status: 200, message: 'ok' } });
    assert.equal(s.events.length, 1);
    assert.equal(s.events[0]!.id, 'c19290aa-6eba-4f22-9736-ffc9ddfa8e7b');
    assert.equal(s.events[0]!.flags.isPaymentCardRelated, true);
    // A retry carries the same bytes; ESS may even sign again (new salt): still a duplicate.
    const again = await s.post(SAMPLE_PENDING);
    assert.deepEqual(again, { status: 200, body: { status: 200, message: 'duplicate' } });
    assert.equal(s.events.length, 1);
    assert.deepEqual(s.duplicates, ['c19290aa-6eba-4f22-9736-ffc9ddfa8e7b']);
  });

  test('a missing, malformed or wrong signature gets 401 (ESS retries 401), and nothing is processed', async () => {
    const before = s.events.length;
    const other = rsaKey();
    for (const signature of [null, '', 'garbage', concurSign(other.privateKey, SAMPLE_APPROVED), concurSign(key.privateKey, SAMPLE_PENDING)]) {
      const answer = await s.post(SAMPLE_APPROVED, signature);
      assert.equal(answer.status, 401, String(signature).slice(0, 20));
    }
    assert.equal(s.events.length, before);
    assert.ok(s.rejections.filter((r) => r.reason === 'signature').length >= 5);
  });

  test('a signed body that is not a Request event gets 400 (ESS does not retry it)', async () => {
    for (const body of ['{', '[]', JSON.stringify(sampleWith({ topic: 'public.concur.expense.report' })), JSON.stringify(sampleWith({}, { isClosed: 'maybe' }))]) {
      const answer = await s.post(body);
      assert.equal(answer.status, 400, body.slice(0, 40));
      assert.equal(typeof answer.body.message, 'string');
    }
  });

  test('other methods get 405', async () => {
    const response = await fetch(s.url);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });
});

test('bodies over maxBodyBytes get 413, declared or streamed, and are not processed', async () => {
  const s = await serve({ maxBodyBytes: 1_000 });
  try {
    const big = JSON.stringify(sampleWith({ padding: 'x'.repeat(2_000) }));
    assert.equal((await s.post(big)).status, 413);
    // Chunked, without Content-Length: the cap applies while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(s.url, { method: 'POST', headers: { 'concur-signature': concurSign(key.privateKey, big), 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < big.length; i += 100) request.write(big.slice(i, i + 100));
      request.end();
    });
    assert.equal(status, 413);
    assert.equal(s.events.length, 0);
    assert.equal((await s.post(SAMPLE_APPROVED)).status, 200, 'a small event still gets through');
  } finally {
    await s.close();
  }
});

test('when onEvent throws the answer is 500 (ESS retries) and the retry is processed, not taken for a duplicate', async () => {
  let failures = 1;
  const processed: string[] = [];
  const s = await serve({
    onEvent: (event) => {
      if (failures-- > 0) throw new Error('queue unavailable');
      processed.push(event.id);
    },
  });
  try {
    assert.equal((await s.post(SAMPLE_APPROVED)).status, 500);
    assert.equal(s.rejections.at(-1)?.reason, 'handler_error');
    assert.equal((await s.post(SAMPLE_APPROVED)).status, 200);
    assert.deepEqual(processed, ['87087aa8-6729-4d8a-804c-85294ab038fc']);
    assert.equal((await s.post(SAMPLE_APPROVED)).body.message, 'duplicate');
  } finally {
    await s.close();
  }
});

test('concurrent deliveries of one event are processed once; all are acknowledged with its outcome', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const s = await serve({
    onEvent: async () => {
      calls += 1;
      await gate;
    },
  });
  try {
    const answers = Promise.all([s.post(SAMPLE_PENDING), s.post(SAMPLE_PENDING), s.post(SAMPLE_PENDING)]);
    // Wait (bounded) until the first delivery reached onEvent before letting it finish.
    for (let i = 0; i < 200 && calls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    const results = await answers;
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
    assert.equal(calls, 1);
    assert.deepEqual(results.map((r) => r.body.message).sort(), ['duplicate', 'duplicate', 'ok']);
  } finally {
    await s.close();
  }
});

test('keys may come from a function: a rotation is picked up, and a failing key source answers 503 (retried)', async () => {
  const next = rsaKey();
  let keys: string[] = [key.publicKeyPem];
  let broken = false;
  const s = await serve({
    publicKeys: async () => {
      if (broken) throw new Error('key server down');
      return keys;
    },
  });
  try {
    const signedByNext = concurSign(next.privateKey, SAMPLE_APPROVED);
    assert.equal((await s.post(SAMPLE_APPROVED, signedByNext)).status, 401, 'not yet published');
    keys = [next.publicKeyPem, key.publicKeyPem];
    assert.equal((await s.post(SAMPLE_APPROVED, signedByNext)).status, 200, 'the retry after the rotation is accepted');
    assert.equal((await s.post(SAMPLE_PENDING)).status, 200, 'the previous key still verifies during the rotation');
    broken = true;
    const answer = await s.post(JSON.stringify(sampleWith({ id: 'another' })));
    assert.equal(answer.status, 503);
    assert.equal(s.rejections.at(-1)?.reason, 'keys_unavailable');
  } finally {
    await s.close();
  }
});

test('a wrong fixed key fails when the handler is created, not on every delivery', () => {
  assert.throws(() => createWebhookHandler({ publicKeys: 'not a key', onEvent: () => {} }));
  assert.throws(() => createWebhookHandler({ publicKeys: [], onEvent: () => {} }), /at least one key/);
});
