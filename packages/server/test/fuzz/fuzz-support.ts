/**
 * The fuzzing harness of the server suites: run sizes and the seed (`PATCHBAY_FUZZ_RUNS`,
 * `PATCHBAY_FUZZ_SEED`), a property runner that reports how many inputs it tried, HTTP calls with a hang
 * bound, the checks every answer must pass (no 5xx but the documented connector ones, JSON in the
 * documented error shape), a guard that stored data does not change on refused requests, arbitraries of
 * hostile JSON, strings and query strings, JSON-schema-driven bodies and their mutations, and the route
 * list read from the running app.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.ts';
import type { Database } from '../../src/store/schema.ts';
import { ERROR_CODES } from '../../src/http/errors.ts';

// ---------------------------------------------------------------------------------------------------
// Sizes and the seed.

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not ${JSON.stringify(text)}`);
  return value;
}

/** PATCHBAY_FUZZ_RUNS: runs per property instead of the CI-sized defaults (e.g. 20000 for a long run). */
export const RUNS_OVERRIDE = envInteger('PATCHBAY_FUZZ_RUNS');
/** PATCHBAY_FUZZ_SEED: the seed of every property (default fixed, so CI runs are reproducible). */
export const SEED = envInteger('PATCHBAY_FUZZ_SEED') ?? 0x5eed_c0de;
/** Runs of an endpoint property (200 by default). */
export const ENDPOINT_RUNS = RUNS_OVERRIDE ?? 200;

/**
 * A `divisor`th of an endpoint property's runs, at least one: for properties whose runs cost more (on
 * PostgreSQL, or in a sweep that multiplies them by the number of routes).
 */
export function shareOfRuns(divisor: number): number {
  return Math.max(1, Math.ceil(ENDPOINT_RUNS / divisor));
}

/** No request may take longer: a guard against a hang, not a timing assertion. */
export const HANG_BOUND_MS = 10_000;

/** What the properties of one test file tried, reported by `reportTotal`. */
const totals = { inputs: 0, properties: 0 };

/** Statuses answered during the current property. */
const statuses = new Map<number, number>();

/** Counts an answer's status for the property's report. */
export function countStatus(status: number): void {
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}

/**
 * Checks the async `predicate` on `runs` inputs of `arbitrary` (shrinking a failure to a small
 * counterexample, printed with the seed and path that replay it) and reports how many inputs were tried, the
 * statuses answered and the duration.
 */
export async function fuzz<T>(t: TestContext, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, runs: number = ENDPOINT_RUNS, options: { endOnFailure?: boolean } = {}): Promise<number> {
  let tried = 0;
  statuses.clear();
  const started = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        tried++;
        await predicate(value);
      }),
      // endOnFailure: no shrinking, for properties whose failures cost a hang bound each.
      { seed: SEED, numRuns: runs, endOnFailure: options.endOnFailure ?? false },
    );
  } finally {
    totals.inputs += tried;
    totals.properties++;
    const answered = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    t.diagnostic(`${tried} inputs tried (seed ${SEED}, ${runs} runs) in ${Math.round(performance.now() - started)} ms${answered ? `; answers ${answered}` : ''}`);
  }
  return tried;
}

/**
 * Runs `check` on every item (an exhaustive sweep, e.g. every field times every wrong type), counting the
 * items as inputs tried; the first failure names its item.
 */
export async function sweep<T>(t: TestContext, items: readonly T[], check: (item: T) => Promise<void>, describe: (item: T) => string = (item) => JSON.stringify(item)): Promise<void> {
  statuses.clear();
  const started = performance.now();
  let tried = 0;
  // Every item is tried; the failures are reported together (one defect often fails several items).
  const failures: string[] = [];
  try {
    for (const item of items) {
      tried++;
      try {
        await check(item);
      } catch (error) {
        failures.push(`${describe(item).slice(0, 300)}: ${(error as Error).message.slice(0, 600)}`);
      }
    }
    if (failures.length > 0) assert.fail(`the sweep failed on ${failures.length} of ${items.length} items:\n${failures.slice(0, 20).join('\n')}`);
  } finally {
    totals.inputs += tried;
    totals.properties++;
    const answered = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    t.diagnostic(`${tried} inputs tried (an exhaustive sweep of ${items.length}) in ${Math.round(performance.now() - started)} ms${answered ? `; answers ${answered}` : ''}`);
  }
}

/** Every value of `wrongTyped`'s fixed part, for exhaustive sweeps. */
export const WRONG_TYPES: readonly unknown[] = [null, true, 0, 1.5, 1e308, '', [], { a: 1 }, 'x'.repeat(70_000), 'a\u0000b', { toString: 1 }, { toString: null, valueOf: null }];

/** Reports the file's total (call from its last test). */
export function reportTotal(t: TestContext): void {
  t.diagnostic(`${totals.inputs} inputs tried in total by ${totals.properties} properties (seed ${SEED}; PATCHBAY_FUZZ_RUNS=${RUNS_OVERRIDE ?? 'default'})`);
}

// ---------------------------------------------------------------------------------------------------
// Calling the server.

/** One answer. */
export interface Answer {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: any;
  ms: number;
}

/** What to send. */
export interface Call {
  method: string;
  /** Path and query, as sent (the URL parser may normalize it). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Sends one request to `baseUrl` and reads the whole answer; fails if it takes longer than the hang bound. */
export async function send(baseUrl: string, call: Call): Promise<Answer> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${call.path}`, {
      method: call.method,
      headers: call.headers ?? {},
      ...(call.body === undefined || call.method === 'GET' || call.method === 'HEAD' ? {} : { body: call.body as string | Uint8Array<ArrayBuffer> }),
      signal: AbortSignal.timeout(HANG_BOUND_MS),
    });
  } catch (error) {
    throw new Error(`${call.method} ${call.path.slice(0, 200)}: no answer (${(error as Error).message}; hang bound ${HANG_BOUND_MS} ms)`, { cause: error });
  }
  const text = await response.text();
  const ms = performance.now() - started;
  let json: unknown;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      assert.fail(`${call.method} ${call.path.slice(0, 200)}: answered ${response.status} with content-type ${response.headers.get('content-type')} but a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }
  countStatus(response.status);
  return { method: call.method, path: call.path, status: response.status, headers: response.headers, text, json, ms };
}

/**
 * The error shapes of patchbay's APIs: the admin API's envelope, Concur's v4 shape, Concur's OAuth2 shape, or
 * either of the first two (the console's request routes, which call Concur-compatible product functions and
 * document both, see `eitherErrors`).
 */
export type ErrorShape = 'admin' | 'concur' | 'oauth' | 'admin-or-concur';

/** Which error shape a path answers in. */
export function errorShapeOf(path: string): ErrorShape {
  const bare = path.split('?')[0]!;
  if (bare === '/oauth2/v0/token') return 'oauth';
  if (/^\/(travelrequest\/v4|events\/v4|v4\/|app-mgmt\/|api\/platform\/notifications)/.test(bare)) return 'concur';
  if (/^\/api\/companies\/[^/]*\/requests(\/|$)/.test(bare)) return 'admin-or-concur';
  return 'admin';
}

const ADMIN_CODES = new Set(Object.keys(ERROR_CODES));

function describeAnswer(answer: Answer): string {
  return `${answer.method} ${answer.path.slice(0, 300)} answered ${answer.status}: ${answer.text.slice(0, 400)}`;
}

/**
 * The property every answer must have: no 5xx (but 502/503 with the documented `connector_failed` /
 * `service_unavailable`), within the hang bound, and a refusal in the documented error shape.
 */
export function checkAnswer(answer: Answer, shape: ErrorShape = errorShapeOf(answer.path)): void {
  assert.ok(answer.ms < HANG_BOUND_MS, `${describeAnswer(answer)} after ${Math.round(answer.ms)} ms`);
  if (answer.status >= 500) {
    const documented = (answer.status === 502 || answer.status === 503) && ['connector_failed', 'service_unavailable'].includes(answer.json?.error?.code);
    assert.ok(documented, describeAnswer(answer));
  }
  assert.ok(answer.status >= 200 && answer.status < 600, describeAnswer(answer));
  if (answer.status < 400) return;
  // A 404 from the router (no such route) is the admin API's envelope, whatever the path.
  if (answer.status === 404 && answer.json?.error?.code === 'not_found') return;
  assert.ok(answer.json !== undefined, `a refusal that is not JSON: ${describeAnswer(answer)}`);
  if (shape === 'admin-or-concur') shape = Array.isArray(answer.json?.errors) ? 'concur' : 'admin';
  if (shape === 'admin') {
    const error = answer.json?.error;
    assert.ok(error && typeof error === 'object', `not the admin error envelope: ${describeAnswer(answer)}`);
    assert.ok(ADMIN_CODES.has(error.code), `unknown error code: ${describeAnswer(answer)}`);
    assert.equal(ERROR_CODES[error.code as keyof typeof ERROR_CODES], answer.status, `code ${error.code} with status ${answer.status}: ${describeAnswer(answer)}`);
    assert.ok(typeof error.message === 'string' && error.message.length > 0, `no message: ${describeAnswer(answer)}`);
    assert.ok(typeof error.requestId === 'string', `no requestId: ${describeAnswer(answer)}`);
    if (error.field !== undefined) assert.equal(typeof error.field, 'string');
  } else if (shape === 'concur') {
    const errors = answer.json?.errors;
    assert.ok(Array.isArray(errors) && errors.length > 0, `not Concur's error shape: ${describeAnswer(answer)}`);
    for (const error of errors) assert.ok(typeof error.errorCode === 'string' && typeof error.errorMessage === 'string' && error.errorMessage.length > 0, `not Concur's error shape: ${describeAnswer(answer)}`);
  } else {
    const body = answer.json;
    assert.ok(body && typeof body.code === 'number' && typeof body.error === 'string' && typeof body.error_description === 'string' && typeof body.geolocation === 'string', `not Concur's OAuth2 error shape: ${describeAnswer(answer)}`);
  }
}

/** The server still answers /healthz with 200. */
export async function assertHealthy(baseUrl: string): Promise<void> {
  const answer = await send(baseUrl, { method: 'GET', path: '/healthz' });
  assert.equal(answer.status, 200, `/healthz after fuzzing: ${answer.text}`);
}

// ---------------------------------------------------------------------------------------------------
// Stored data does not change on refused requests.

/**
 * The tables a refused request must leave alone. Left out, with the reason: `sessions` and `api_tokens`
 * (sign-ins, last use), `deliveries`, `delivery_attempts` and `notifications` (background workers),
 * `callout_log` (a failed callout is logged: that is its failure record).
 */
export const GUARDED_TABLES = [
  'companies', 'users', 'safe_list_hosts', 'connectors', 'connector_services', 'applications', 'company_connections', 'request_tokens',
  'authorization_codes', 'refresh_tokens', 'travel_agencies', 'workflows', 'workflow_steps', 'approver_group_members', 'request_policies',
  'requests', 'request_expenses', 'request_comments', 'events', 'subscriptions', 'approval_delegates', 'attendee_types', 'request_form_fields',
  'request_attendees', 'audit_log', 'signing_keys', 'webhook_signing_keys',
] as const satisfies ReadonlyArray<keyof Database>;

/** Row count and a hash of the sorted rows, per table. */
export type Snapshot = Record<string, string>;

/** Snapshots `tables`. */
export async function snapshot(store: Store, tables: readonly (keyof Database)[] = GUARDED_TABLES): Promise<Snapshot> {
  const out: Snapshot = {};
  if (store.dialect === 'postgres') {
    // One round trip: each table's row count and the MD5 of its rows as text, sorted.
    const query = tables.map((table) => `SELECT '${table}' AS name, count(*)::text AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`).join(' UNION ALL ');
    const result = await sql<{ name: string; n: string; h: string }>`${sql.raw(query)}`.execute(store.db);
    for (const row of result.rows) out[row.name] = `${row.n} rows, ${row.h.slice(0, 16)}`;
    return out;
  }
  for (const table of tables) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    const lines = rows.map((row) => JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))).sort();
    out[table] = `${rows.length} rows, ${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
  }
  return out;
}

/**
 * Checks that refused requests change no stored data: a snapshot is taken, and after each answer a 4xx
 * must find the data as it was; a 2xx (which may change data) takes a new snapshot.
 */
export class DataGuard {
  private baseline: Snapshot | undefined;
  private readonly store: Store;
  private readonly tables: readonly (keyof Database)[];
  /** How many refused requests were checked. */
  checked = 0;

  constructor(store: Store, tables: readonly (keyof Database)[] = GUARDED_TABLES) {
    this.store = store;
    this.tables = tables;
  }

  /** Takes the snapshot refused requests are compared with. */
  async reset(): Promise<void> {
    this.baseline = await snapshot(this.store, this.tables);
  }

  /** After an answer: a refusal (4xx, or a documented 502/503) must have left the data as it was. */
  async check(answer: Pick<Answer, 'status' | 'method' | 'path' | 'text'>, what = ''): Promise<void> {
    if (this.baseline === undefined) await this.reset();
    if (answer.status < 400) {
      await this.reset();
      return;
    }
    const now = await snapshot(this.store, this.tables);
    this.checked++;
    const changed = Object.keys(now).filter((table) => now[table] !== this.baseline![table]);
    assert.deepEqual(changed, [], `${answer.method} ${answer.path.slice(0, 200)} ${what} was refused (${answer.status}: ${answer.text.slice(0, 200)}) but changed stored data in ${changed.join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Characters that break naive handling: quotes, separators, controls (NUL included), RTL marks, odd code points. */
export const hostileChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('"', "'", '\\', '/', '%', '&', '=', '?', '#', '+', ';', ',', '<', '>', '*', '.', '-', '_', ' ', '\t', '\n', '\r') },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u00a0', '\u200b', '\u202e', '\u2028', '\ufeff', '\ufffd', '\uffff', 'İ', 'ß', '\u{1f600}') },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** A string of hostile characters. */
export const hostileString = (maxLength = 40): fc.Arbitrary<string> => fc.string({ unit: hostileChar, maxLength });

/** Strings that mean something to some layer: dates, UUIDs, numbers, SQL, paths, templates, huge ones. */
export const specialString = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e', '💥', 'null', 'undefined', 'true', 'NaN', '-1', '0', '1e309', '9'.repeat(40),
  '0000-01-01', '9999-12-31', '2024-02-30', '2024-02-29', '1970-01-01T00:00:00Z', '2024-13-01', '24:00', '23:59', '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', 'DROP TABLE users;--', "' OR '1'='1", '../../etc/passwd', '%00', '%zz', '${jndi:x}', '{{7*7}}', '<script>x</script>',
  '*', '.*', '(a+)+$', '\\', 'https://example.com', 'http://127.0.0.1:1/', 'javascript:alert(1)', 'x'.repeat(300), 'é'.repeat(256), '𝔘'.repeat(200),
  'x'.repeat(70_000), '__proto__', 'constructor', 'toString',
);

/** Keys that are dangerous on plain objects, or mean something to a JSON parser or an ORM. */
export const dangerousKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'then', 'length', '', ' ', '\u0000', 'id', '$where', 'a.b', 'a[0]');

const JSON_KEY = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: dangerousKey }, { weight: 1, arbitrary: hostileString(8) });

/** JSON text nested `depth` levels deep. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : deeplyNestedText(depth);
}

function deeplyNestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Numbers at the edges: -0, fractions, 2^31, 2^53 + 1, huge, tiny. */
export const edgeNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.5, 1.5, -1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324, 0.1 + 0.2),
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** An object whose toString/valueOf are not functions: `String(x)` of it throws a TypeError. */
export const unprintableObject = fc.constantFrom<unknown>({ toString: 1 }, { toString: null, valueOf: null }, { valueOf: {}, toString: {} }, { toJSON: 1 }, JSON.parse('{"__proto__":{"isAdmin":true}}'));

/** A value of another type than a field expects: the wrong primitive, a container, an unprintable object, a huge or NUL string. */
export const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, -0, '', [], {}, [''], { a: 1 }, 'x'.repeat(70_000), '\u0000', 'a\u0000b') },
  { weight: 2, arbitrary: unprintableObject },
  { weight: 1, arbitrary: fc.constant(JSON.parse(deeplyNestedText(200))) },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }) },
);

/** A JSON value (as the parsed body would be), hostile at every level. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: fc.oneof(hostileString(30), specialString) },
    { weight: 2, arbitrary: edgeNumber },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
    { weight: 1, arbitrary: unprintableObject },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 3, arbitrary: fc.dictionary(JSON_KEY, tie('value'), { maxKeys: 5 }) },
  ),
})).value;


/** Turns a JSON-serializable value into JSON text; own `__proto__` keys survive (a parser must refuse them). */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A subset of OpenAPI 3 / JSON Schema, as @fastify/swagger writes route schemas. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  nullable?: boolean;
}

/** Values a `format: uuid` string takes: the world's real ids first, so generated bodies reach the product's checks. */
export interface SchemaContext {
  uuids: readonly string[];
}

const codePoints = (value: string) => [...value].length;

/** A value valid against `schema` (mostly: patterns and formats are approximated), to mutate afterwards. */
export function fromSchema(schema: Schema | undefined, context: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.jsonValue({ maxDepth: 1 });
  let arbitrary: fc.Arbitrary<unknown>;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) arbitrary = fc.oneof(...union.map((member) => fromSchema(member, context, depth + 1)));
  else if (schema.const !== undefined) arbitrary = fc.constant(schema.const);
  else if (schema.enum) arbitrary = fc.constantFrom(...schema.enum);
  else {
    switch (schema.type) {
      case 'object': {
        const properties = schema.properties ?? {};
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, property] of Object.entries(properties)) model[name] = fromSchema(property, context, depth + 1);
        const required = (schema.required ?? []).filter((name) => name in model);
        arbitrary = Object.keys(model).length === 0 ? fc.constant({}) : fc.record(model, { requiredKeys: required });
        if (schema.additionalProperties !== false && typeof schema.additionalProperties === 'object') {
          const extra = fromSchema(schema.additionalProperties, context, depth + 1);
          arbitrary = fc.tuple(arbitrary, fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), extra, { maxKeys: 3 })).map(([base, more]) => ({ ...more, ...(base as object) }));
        }
        break;
      }
      case 'array':
        arbitrary = fc.array(fromSchema(schema.items, context, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)) });
        break;
      case 'string': {
        const min = schema.minLength ?? 0;
        const max = schema.maxLength ?? 40;
        if (schema.format === 'uuid') arbitrary = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(context.uuids.length > 0 ? context.uuids : ['00000000-0000-4000-8000-000000000000'])) }, { weight: 1, arbitrary: fc.uuid() });
        else if (schema.format === 'email') arbitrary = fc.emailAddress().filter((email) => email.length <= max);
        else if (schema.pattern !== undefined) {
          let pattern: RegExp | undefined;
          try {
            pattern = new RegExp(schema.pattern, 'u');
          } catch {
            pattern = undefined;
          }
          arbitrary = pattern ? fc.stringMatching(pattern, { maxLength: Math.min(max, 60) }).filter((value) => codePoints(value) >= min && codePoints(value) <= max) : fc.string({ minLength: min, maxLength: Math.min(max, 40) });
        } else {
          arbitrary = fc.oneof(
            { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 40) }) },
            { weight: 1, arbitrary: hostileString(Math.min(max, 40)).filter((value) => codePoints(value) >= min && codePoints(value) <= max) },
            { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('x', 'é', '𝔘'), minLength: max, maxLength: max }) },
          );
        }
        break;
      }
      case 'integer':
        arbitrary = fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
        break;
      case 'number':
        arbitrary = fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
        break;
      case 'boolean':
        arbitrary = fc.boolean();
        break;
      case 'null':
        arbitrary = fc.constant(null);
        break;
      default:
        arbitrary = fc.jsonValue({ maxDepth: 2 });
    }
  }
  return schema.nullable ? fc.oneof(arbitrary, fc.constant(null)) : arbitrary;
}

/** One change to a JSON body; `at` picks the place (a fraction of the body's places). */
export type JsonMutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'wrap'; at: number };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), value: hostileJson }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), key: JSON_KEY, value: hostileJson }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

/** Applies a mutation to a copy of `value`. */
export function mutateJson(value: unknown, mutation: JsonMutation): unknown {
  const root: { v: unknown } = { v: structuredClone(value) };
  // Every place in the value: [container, key].
  const places: Array<[Record<string, unknown> | unknown[], string | number]> = [[root as Record<string, unknown>, 'v']];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((item, i) => {
      places.push([node, i]);
      walk(item);
    });
    else if (node !== null && typeof node === 'object') for (const [key, item] of Object.entries(node)) {
      places.push([node as Record<string, unknown>, key]);
      walk(item);
    }
  };
  walk(root.v);
  const [container, key] = places[Math.min(places.length - 1, Math.floor(mutation.at * places.length))]!;
  const slot = container as Record<string | number, unknown>;
  switch (mutation.kind) {
    case 'replace':
      slot[key] = mutation.value;
      break;
    case 'delete':
      if (Array.isArray(container)) container.splice(key as number, 1);
      else if (container !== root) delete slot[key];
      break;
    case 'add': {
      const target = slot[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, mutation.key, { value: mutation.value, enumerable: true, configurable: true, writable: true });
      else slot[key] = { [mutation.key]: mutation.value };
      break;
    }
    case 'wrap':
      slot[key] = [slot[key]];
      break;
  }
  return root.v;
}

/** A body to send: JSON text (or raw bytes) and its content type. */
export interface Body {
  contentType: string | undefined;
  body: string | Uint8Array | undefined;
  /** What it is, for failure messages. */
  label: string;
}

const BODY_LIMIT = 1_048_576;

/** Raw bodies a JSON API must refuse cleanly: not JSON, too deep, too large, not UTF-8, wrong content types. */
export const rawBody: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom<Body>(
    { contentType: 'application/json', body: '', label: 'empty JSON body' },
    { contentType: 'application/json', body: '{', label: 'truncated JSON' },
    { contentType: 'application/json', body: '{"a":1,}', label: 'trailing comma' },
    { contentType: 'application/json', body: '\ufeff{}', label: 'BOM' },
    { contentType: 'application/json', body: '{"__proto__":{"admin":true}}', label: 'prototype pollution' },
    { contentType: 'application/json', body: '{"constructor":{"prototype":{"admin":true}}}', label: 'constructor.prototype' },
    { contentType: 'application/json', body: 'null', label: 'null' },
    { contentType: 'application/json', body: '"string"', label: 'a JSON string' },
    { contentType: 'application/json', body: '12', label: 'a JSON number' },
    { contentType: 'application/json', body: '[]', label: 'an array' },
    { contentType: 'application/json', body: deeplyNested(10_000, 'array'), label: 'arrays 10,000 deep' },
    { contentType: 'application/json', body: deeplyNested(5_000, 'object'), label: 'objects 5,000 deep' },
    { contentType: 'application/json', body: `{"a":"${'x'.repeat(BODY_LIMIT)}"}`, label: 'over the body limit' },
    { contentType: 'application/json', body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), label: 'invalid UTF-8' },
    { contentType: 'application/json; charset=utf-16', body: '{}', label: 'UTF-16 charset' },
    { contentType: 'application/json;charset=latin1', body: '{"a":"\u00e9"}', label: 'latin1 charset' },
    { contentType: 'text/plain', body: '{}', label: 'text/plain' },
    { contentType: 'application/x-www-form-urlencoded', body: 'a=1&a=2', label: 'a form' },
    { contentType: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', label: 'multipart' },
    { contentType: 'application/xml', body: '<a/>', label: 'XML' },
    { contentType: undefined, body: '{}', label: 'no content type' },
    { contentType: 'application/json', body: '{"a":1}{"b":2}', label: 'two documents' },
    { contentType: 'application/json', body: '{"a":"\\ud800"}', label: 'a lone surrogate escape' },
    { contentType: 'application/json', body: '{"a":1e999999}', label: 'an infinite number' },
    { contentType: 'application/json', body: `[${'1,'.repeat(100_000)}1]`, label: 'a 100,000-element array' },
    { contentType: 'application/json', body: `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`, label: 'an object with 20,000 keys' },
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text): Body => ({ contentType: 'application/json', body: text, label: 'arbitrary text as JSON' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes): Body => ({ contentType: 'application/json', body: bytes, label: 'arbitrary bytes as JSON' })),
);

/**
 * A valid object with one field (one of its own, or one of `fields`) given a value of the wrong type: the
 * schema-aware mutation that reaches each field's type check.
 */
export function wrongTypeField(valid: fc.Arbitrary<unknown>, fields: readonly string[] = []): fc.Arbitrary<{ value: unknown; field: string }> {
  return fc.tuple(valid, fc.nat(), fc.constantFrom('', ...fields), wrongTyped).map(([value, index, extra, wrong]) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { value: wrong, field: '(the body)' };
    const keys = Object.keys(value);
    const field = extra !== '' ? extra : keys.length > 0 ? keys[index % keys.length]! : 'x';
    return { value: { ...value, [field]: wrong }, field };
  });
}

/** Arbitrary JSON bodies, schema-aware mutations of valid ones, and raw ones. */
export function jsonBodies(valid: fc.Arbitrary<unknown>, fields: readonly string[] = []): fc.Arbitrary<Body> {
  const json = (value: unknown, label: string): Body => ({ contentType: 'application/json', body: toJson(value), label });
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((value) => json(value, 'valid by the schema')) },
    { weight: 3, arbitrary: wrongTypeField(valid, fields).map(({ value, field }) => json(value, `a valid body, ${field} of the wrong type`)) },
    { weight: 4, arbitrary: fc.tuple(valid, fc.array(jsonMutation, { minLength: 1, maxLength: 3 })).map(([value, mutations]) => json(mutations.reduce(mutateJson, value), 'a valid body, mutated')) },
    { weight: 2, arbitrary: hostileJson.map((value) => json(value, 'hostile JSON')) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((text): Body => ({ contentType: 'application/json', body: text, label: 'fc.json' })) },
    { weight: 1, arbitrary: rawBody },
  );
}

/** A query string: the route's own parameters and others, hostile values, repeated keys, odd encodings. */
export function queryStrings(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(names.length > 0 ? names : ['q'])) }, { weight: 1, arbitrary: dangerousKey }, { weight: 1, arbitrary: hostileString(8) });
  const value = fc.oneof({ weight: 2, arbitrary: hostileString(30) }, { weight: 2, arbitrary: specialString.filter((s) => s.length < 1000) }, { weight: 1, arbitrary: edgeNumber.map(String) }, { weight: 1, arbitrary: fc.constantFrom('FAILED', 'PENDING', 'ALL', 'TOAPPROVE', 'ASC', 'DESC', 'true', 'fetch-list', '10', '100', '101') });
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(name, value).map(([k, v]) => `${encodeURIComponent(k.toWellFormed())}=${encodeURIComponent(v.toWellFormed())}`) },
    { weight: 1, arbitrary: fc.tuple(name, value).map(([k, v]) => `${k.toWellFormed().replace(/[#&=\s]/g, '')}=${v.toWellFormed().replace(/[#&\s]/g, '')}`) },
    { weight: 1, arbitrary: fc.constantFrom('a', '=', '&', 'a[]=1', 'a[b]=1', '%zz=%zz', '%00=%00', 'x=%E0%A4%A', 'x=%C3%28', '__proto__[x]=1', 'constructor[prototype][x]=1') },
  );
  return fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join('&'));
}

// ---------------------------------------------------------------------------------------------------
// The routes of the running app.

/** A route: method and Fastify path (`/api/companies/:companyId`). */
export interface Route {
  method: string;
  path: string;
}

/**
 * Every route of `app`, read from `printRoutes` (so routes hidden from the OpenAPI document are included),
 * without the HEAD twins of GET routes.
 */
export function appRoutes(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const segment = match[2]!;
    const parent = depth === 0 ? '/' : stack[depth - 1]!;
    const full = parent.endsWith('/') ? parent + segment.replace(/^\//, '') : parent + (segment.startsWith('/') ? segment : `/${segment}`);
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean)) {
      if (method !== 'HEAD') routes.push({ method, path: full });
    }
  }
  return routes;
}

/** An operation of the app's OpenAPI document. */
export interface Operation {
  method: string;
  /** The Fastify path (`:name`, not `{name}`). */
  path: string;
  body: Schema | undefined;
  query: Array<{ name: string; schema: Schema }>;
}

/** The operations of the app's OpenAPI document, with their body and query schemas. */
export function openApiOperations(app: FastifyInstance): Operation[] {
  const document = (app as unknown as { swagger(): { paths: Record<string, Record<string, any>> } }).swagger();
  const operations: Operation[] = [];
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(byMethod)) {
      operations.push({
        method: method.toUpperCase(),
        path: path.replace(/\{([^}]+)\}/g, ':$1'),
        body: operation.requestBody?.content?.['application/json']?.schema,
        query: (operation.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => ({ name: p.name, schema: p.schema })),
      });
    }
  }
  return operations;
}

/** Fills a route's `:params` from `values` (first of each name). */
export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(values[name] ?? `unknown-${name}`));
}
