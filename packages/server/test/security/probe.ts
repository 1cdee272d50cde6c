/**
 * Helpers of the security suites: one HTTP call with any credentials, the check that an answer
 * reveals none of a tenant's secrets, and snapshots of the store (every table, found by introspection)
 * to prove that refused calls changed nothing.
 */
import http from 'node:http';
import type { Store } from '../../src/store/store.ts';

/** What a probe got back. */
export interface Probe {
  status: number;
  text: string;
  headers: Headers;
}

/** Sends one request to `baseUrl` with `headers` (a JSON body when `body` is given). */
export async function send(baseUrl: string, method: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<Probe> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${url}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Appends query parameters to a path that may already have some. */
export function withQuery(url: string, query: Record<string, string>): string {
  const search = new URLSearchParams(query).toString();
  if (!search) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${search}`;
}

/** The `secrets` found in `answer` that the caller did not send itself (in `sent`): what leaked. */
export function leaked(answer: string, secrets: readonly string[], sent: string): string[] {
  const text = answer.toLowerCase();
  const own = sent.toLowerCase();
  return secrets.filter((secret) => {
    const needle = secret.toLowerCase();
    return text.includes(needle) && !own.includes(needle) && !own.includes(encodeURIComponent(secret).toLowerCase());
  });
}

/** Every table of the store, by introspection (so a table added later is covered too). */
export async function tableNames(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables.map((table) => table.name).filter((name) => !name.startsWith('kysely_') && !name.startsWith('sqlite_') && name !== 'schema_migrations').sort();
}

/** A row as text (bigints and buffers included), for comparisons and searches. */
export function rowText(row: unknown): string {
  return JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : Buffer.isBuffer(value) ? value.toString('base64') : value));
}

/** Every row of every table as text, per table, sorted. */
export async function dumpStore(store: Store): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of await tableNames(store)) {
    const rows = await store.db.selectFrom(table as never).selectAll().execute();
    dump[table] = rows.map(rowText).sort();
  }
  return dump;
}

/** The rows that mention any of `ids`, per table (rows of a tenant, and rows pointing at it). */
export async function rowsMentioning(store: Store, ids: readonly string[]): Promise<Record<string, string[]>> {
  const needles = ids.map((id) => id.toLowerCase());
  const dump = await dumpStore(store);
  return Object.fromEntries(Object.entries(dump).map(([table, rows]) => [table, rows.filter((row) => needles.some((needle) => row.toLowerCase().includes(needle)))]));
}

/** The differences between two snapshots, as readable lines (empty when equal). */
export function diffSnapshots(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
  const lines: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = new Set(before[table] ?? []);
    const now = new Set(after[table] ?? []);
    for (const row of was) if (!now.has(row)) lines.push(`${table}: changed or removed ${row.slice(0, 400)}`);
    for (const row of now) if (!was.has(row)) lines.push(`${table}: new ${row.slice(0, 400)}`);
  }
  return lines;
}

/** Signs in and returns the headers of that session: its cookie and its CSRF token. */
export async function sessionHeaders(baseUrl: string, credentials: { loginId: string; password: string }): Promise<{ cookie: string; 'x-csrf-token': string }> {
  const { loginId, password } = credentials;
  const response = await fetch(`${baseUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId, password }) });
  if (response.status !== 200) throw new Error(`sign-in failed with ${response.status}: ${await response.text()}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const session = (await response.json()) as { csrfToken: string };
  return { cookie, 'x-csrf-token': session.csrfToken };
}

/**
 * Sends one request from the local address `from` (any 127.x.y.z reaches a server on 127.0.0.1), so a
 * test can play several clients; `body` goes as is with `contentType`.
 */
export async function sendFrom(from: string, baseUrl: string, method: string, path: string, body: string | undefined, contentType: string): Promise<Probe> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, localAddress: from, agent: false, headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
