/**
 * Fuzzing the token endpoint `POST /oauth2/v0/token` on SQLite and PostgreSQL with arbitrary form bodies:
 * each of the four grants with valid parameters mutated, missing or repeated parameters, unknown ones,
 * hostile and huge values, NUL, invalid percent-encoding, and bodies that are not forms at all (JSON, text,
 * multipart, none, over the size limit). The property: no 5xx, every refusal in Concur's OAuth2 error shape
 * `{code, error, error_description, geolocation}`, within the hang bound, stored data unchanged by every
 * refused request, /healthz still 200. Once more with the sign-in throttle on (its 429s are refusals too).
 *
 * Sizes: `ENDPOINT_RUNS` per property (200; PATCHBAY_FUZZ_RUNS overrides), an eighth on PostgreSQL and with
 * the throttle on (each password grant costs ~50 ms of scrypt, wrong password or right).
 */
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { STORE_KINDS, storeSuites } from '../support/stores.ts';
import { createFuzzWorld, type FuzzWorld } from './fuzz-world.ts';
import { DataGuard, ENDPOINT_RUNS, shareOfRuns, assertHealthy, checkAnswer, fuzz, hostileString, reportTotal, send, specialString } from './fuzz-support.ts';

const PARAMS = ['grant_type', 'client_id', 'client_secret', 'username', 'password', 'credtype', 'scope', 'refresh_token', 'code', 'redirect_uri'];

/** A form to post, as the pairs it is made of (so repeats and odd encodings survive), or another body. */
interface TokenBody {
  contentType: string | undefined;
  body: string | undefined;
  label: string;
}

/** The values each parameter takes: the world's valid ones, near-misses, hostile ones. */
function values(world: FuzzWorld): Record<string, fc.Arbitrary<string>> {
  const { fixture } = world;
  const traveler = fixture.people.traveler;
  const hostile = fc.oneof(hostileString(40), specialString.filter((s) => s.length < 5_000));
  const pick = (valid: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostile });
  return {
    grant_type: pick(fc.constantFrom('client_credentials', 'password', 'authorization_code', 'refresh_token', 'implicit', 'PASSWORD', '')),
    client_id: pick(fc.constantFrom(fixture.app.id, fixture.app.id.toUpperCase(), world.essApp.id, world.sacrificialAppId, '00000000-0000-4000-8000-000000000000')),
    client_secret: pick(fc.constantFrom(fixture.app.secret, world.essApp.secret, `${fixture.app.secret}x`, fixture.app.secret.slice(0, -1), '')),
    username: pick(fc.constantFrom(traveler.loginId, traveler.loginId.toUpperCase(), world.server.companyId, 'nobody@example.test', '')),
    password: pick(fc.constantFrom(traveler.password, `${traveler.password}!`, '', '00000000-0000-4000-8000-000000000000')),
    credtype: pick(fc.constantFrom('password', 'authtoken', 'AUTHTOKEN', 'sso', '')),
    scope: pick(fc.constantFrom('travelrequest.write', 'travelrequest.write travelrequest.externalsystemworkflow.write', 'events.topic.read', 'admin', 'travelrequest.write,travelrequest.write', ' ', '')),
    refresh_token: pick(fc.oneof(fc.uuid(), fc.constant(''))),
    code: pick(fc.oneof(fc.uuid(), fc.constant(''))),
    redirect_uri: pick(fc.constantFrom('https://localhost/leu/redirect', 'https://evil.example/', '')),
  };
}

function formBodies(world: FuzzWorld, refreshToken: string): fc.Arbitrary<TokenBody> {
  const byName = values(world);
  const name = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'grant_type[]', 'GRANT_TYPE') }, { weight: 1, arbitrary: hostileString(8) });
  const pair = name.chain((key) => fc.tuple(fc.constant(key), Object.hasOwn(byName, key) ? byName[key]! : fc.oneof(hostileString(20), specialString.filter((s) => s.length < 5_000))));
  const encode = (pairs: Array<[string, string]>) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k.toWellFormed(), v.toWellFormed()])).toString();
  const traveler = world.fixture.people.traveler;
  const grants: Array<{ values: Record<string, string> }> = [
    { values: { grant_type: 'client_credentials', scope: '' } },
    { values: { grant_type: 'password', username: traveler.loginId, password: traveler.password } },
    { values: { grant_type: 'password', credtype: 'password', username: traveler.loginId, password: traveler.password, scope: 'travelrequest.write' } },
    { values: { grant_type: 'password', credtype: 'authtoken', username: world.server.companyId, password: '00000000-0000-4000-8000-000000000000' } },
    { values: { grant_type: 'authorization_code', code: '00000000-0000-4000-8000-000000000000', redirect_uri: 'https://localhost/leu/redirect' } },
    { values: { grant_type: 'refresh_token', refresh_token: refreshToken } },
  ];
  const clients = [{ client_id: world.fixture.app.id, client_secret: world.fixture.app.secret }, { client_id: world.essApp.id, client_secret: world.essApp.secret }];
  // A grant's parameters with a client's credentials, each once; each value is the right one, mostly.
  const wellFormed = fc.tuple(fc.constantFrom(...grants), fc.constantFrom(...clients)).chain(([grant, client]) => {
    const right: Record<string, string> = { ...client, ...grant.values };
    return fc.tuple(...Object.entries(right).map(([key, value]) => fc.tuple(fc.constant(key), fc.oneof({ weight: 6, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: byName[key]! }))));
  });
  const form = (label: string) => (pairs: Array<[string, string]>): TokenBody => ({ contentType: 'application/x-www-form-urlencoded', body: encode(pairs), label });
  return fc.oneof(
    { weight: 5, arbitrary: wellFormed.map((pairs) => form('a grant\'s parameters')(pairs as Array<[string, string]>)) },
    { weight: 3, arbitrary: fc.tuple(wellFormed, fc.array(pair, { minLength: 1, maxLength: 3 })).map(([pairs, extra]) => form('a grant\'s parameters, some repeated or added')([...(pairs as Array<[string, string]>), ...extra])) },
    { weight: 2, arbitrary: fc.array(pair, { maxLength: 8 }).map(form('arbitrary parameters')) },
    {
      weight: 1,
      arbitrary: fc.tuple(wellFormed, fc.constantFrom('%00', '%zz', '%', '%C3%28', '%ED%A0%80', '+', '&&', '==', `x=${'a'.repeat(17 * 1024)}`)).map(([pairs, raw]): TokenBody => ({ contentType: 'application/x-www-form-urlencoded', body: `${encode(pairs as Array<[string, string]>)}&${raw}=${raw}`, label: `a raw piece ${raw.slice(0, 12)}` })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<TokenBody>(
        { contentType: 'application/json', body: '{"grant_type":"client_credentials"}', label: 'JSON' },
        { contentType: 'text/plain', body: 'grant_type=client_credentials', label: 'text/plain' },
        { contentType: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n--x--', label: 'multipart' },
        { contentType: undefined, body: 'grant_type=client_credentials', label: 'no content type' },
        { contentType: 'application/x-www-form-urlencoded', body: '', label: 'an empty form' },
        { contentType: 'application/x-www-form-urlencoded', body: undefined, label: 'no body' },
        { contentType: 'application/x-www-form-urlencoded; charset=utf-16', body: 'grant_type=password', label: 'UTF-16 charset' },
        { contentType: 'application/x-www-form-urlencoded', body: `grant_type=${'x'.repeat(20 * 1024)}`, label: 'over the size limit' },
        { contentType: 'application/x-www-form-urlencoded', body: Array.from({ length: 2_000 }, (_, i) => `p${i}=1`).join('&'), label: '2,000 parameters' },
      ),
    },
  );
}

/** A refresh token of the traveler, from a password grant. */
async function refreshTokenOf(world: FuzzWorld): Promise<string> {
  const traveler = world.fixture.people.traveler;
  const form = new URLSearchParams({ grant_type: 'password', client_id: world.fixture.app.id, client_secret: world.fixture.app.secret, username: traveler.loginId, password: traveler.password });
  const answer = await send(world.url, { method: 'POST', path: '/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.refresh_token as string;
}

async function tokenProperty(t: TestContext, world: FuzzWorld, guard: DataGuard, runs: number): Promise<void> {
  const refreshToken = await refreshTokenOf(world);
  await guard.reset();
  await fuzz(
    t,
    formBodies(world, refreshToken),
    async (form) => {
      const answer = await send(world.url, { method: 'POST', path: '/oauth2/v0/token', headers: form.contentType === undefined ? {} : { 'content-type': form.contentType }, ...(form.body === undefined ? {} : { body: form.body }) });
      checkAnswer(answer, 'oauth');
      if (answer.status === 200) assert.ok(typeof answer.json?.access_token === 'string' && answer.json.token_type === 'Bearer', `a 200 without a token: ${answer.text.slice(0, 200)}`);
      else assert.equal(answer.headers.get('cache-control'), 'no-store', `a token error without Cache-Control: no-store (${answer.status})`);
      await guard.check(answer, `(${form.label})`);
    },
    runs,
  );
  await assertHealthy(world.url);
}

for (const { kind, skip } of await storeSuites()) {
  describe(`fuzz: the token endpoint [${kind.name}]`, { skip }, () => {
    let world: FuzzWorld;
    let guard: DataGuard;
    before(async () => {
      world = await createFuzzWorld(await kind.create());
      guard = new DataGuard(world.server.patchbay.store);
    });
    after(async () => {
      await world?.close();
    });

    test('arbitrary form bodies: every grant mutated, parameters missing, repeated, unknown, huge, NUL; not forms at all', async (t) => {
      await tokenProperty(t, world, guard, kind.name === 'postgres' ? shareOfRuns(8) : ENDPOINT_RUNS);
    });

    test('fuzz total', (t) => {
      t.diagnostic(`${guard.checked} refused requests checked for stored-data changes`);
      reportTotal(t);
    });
  });
}

describe('fuzz: the token endpoint with the sign-in throttle on [sqlite]', () => {
  let world: FuzzWorld;
  let guard: DataGuard;
  before(async () => {
    world = await createFuzzWorld(await STORE_KINDS[0]!.create(), { throttle: true });
    guard = new DataGuard(world.server.patchbay.store);
  });
  after(async () => {
    await world?.close();
  });

  test('arbitrary form bodies, with failures throttled: 429s in the OAuth2 error shape, nothing stored', async (t) => {
    await tokenProperty(t, world, guard, shareOfRuns(8));
  });

  test('fuzz total', (t) => {
    reportTotal(t);
  });
});
