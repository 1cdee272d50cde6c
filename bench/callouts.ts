/**
 * The callout benchmark (acceptance 5 of the callouts issue): Fetch Attendee searches per second and
 * p50/p99 latency through patchbay, beside the same searches posted straight to the connector, in the same
 * run, at the same concurrency levels. SQLite, loopback only.
 *
 * Three processes: the sample connector (`bench/lib/sample-connector-process.ts`: `createSampleConnector`
 * over HTTPS with a development CA), a real patchbay (`bench/lib/patchbay-process.ts`:
 * `openPatchbay(loadConfig(...))`, configured like `patchbay start`, trusting the CA with
 * PATCHBAY_EXTRA_CA_FILE), and this one, which drives both with undici keep-alive pools. The connector is
 * registered, passes Test Connection and gets its Fetch Attendee service and attendee type through the
 * admin API, as an administrator would do it; the demo employee signs in to the console and owns the
 * request searched from.
 *
 * For each concurrency C (closed loop, C requests in flight):
 *   - direct: POST of a real `AttendeeSearchRequest` (built by `buildAttendeeSearchRequest`, the bytes
 *     patchbay sends) with Basic auth to the connector's Fetch Attendee endpoint over HTTPS; the answer is
 *     read whole and must be 200 (the first one is parsed and checked).
 *   - patchbay: the console's `POST /api/companies/{c}/requests/{r}/attendee-search` with the session
 *     cookie and CSRF token (the only route that searches attendees), which authenticates the user, loads
 *     the request, the attendee type, the connector and the safe list, posts the same XML to the connector,
 *     validates the answer, logs the call and answers JSON; it must be 200 with the same attendees.
 * Latency is per search, from send to the whole answer read, for searches that end inside the window.
 * The targets: added p50 (patchbay p50 − direct p50) under 1 ms, judged at concurrency 1 (no queueing), and
 * throughput at least half of the direct calls, judged at the highest concurrency (both saturated).
 *
 * Environment: BENCH_DURATION_MS (default 3000 per window, after 500 ms of warm-up), BENCH_CONCURRENCIES
 * (default "1,16"), BENCH_SERVER_LOG_LEVEL (patchbay's log level, default info as in production; its lines
 * go to /dev/null), BENCH_LAST_NAME (the search, default "M": 4 business guests of the sample directory),
 * BENCH_PROFILE_DIR (patchbay's CPU is profiled during each of its windows, start-up excluded, into
 * callouts-patchbay-c{C}.cpuprofile there; a summary of each is printed),
 * BENCH_DATA_PARENT (where the temporary data directory is made, default the OS temp dir).
 * The run stops by itself: each window is bounded, and a watchdog ends the run (exit 1) if it overruns
 * its bound (bench/lib/progress.ts).
 * Results go to stdout, bench/results/callouts.md and bench/results/callouts.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { ATTENDEE_REQUEST_CONTENT_TYPE, buildAttendeeSearchRequest, parseAttendeeSearchResponse } from '@patchbay/callout-xml';
import { openStore, type StoreLocation } from '../packages/server/src/store/store.ts';
import { DEMO, seedDemo } from '../packages/server/src/demo.ts';
import { addSafeListHost } from '../packages/server/src/companies/companies.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { startPatchbay, type PatchbayReady } from './lib/patchbay-process.ts';
import type { SampleConnectorReady } from './lib/sample-connector-process.ts';
import { percentiles, type Percentiles } from './lib/stats.ts';
import { summarise } from './lib/cpuprofile-summary.ts';
import { bound, makeTempDir, note, phase, removeTempDir } from './lib/progress.ts';
import { commitText, describeCommit, describeMachine, latencyOf, round, writeResult, type ResultRow, type Target } from './lib/result.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = 500;
const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES ?? '1,16').split(',').map(Number);
const SERVER_LOG_LEVEL = process.env.BENCH_SERVER_LOG_LEVEL ?? 'info';
const LAST_NAME = process.env.BENCH_LAST_NAME ?? 'M';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : undefined;
const DATA_PARENT = process.env.BENCH_DATA_PARENT ?? os.tmpdir();
/** A search that does not answer within this long fails the run (a hung connector or patchbay). */
const CALL_TIMEOUT_MS = 10_000;
/** Setting up (certificates, migrations, two child processes, registration) takes a few seconds; this bounds it. */
const SETUP_BOUND_MS = 60_000;
/** Each window, plus its warm-up, the last searches in flight and the CPU readings. */
const PHASE_BOUND_MS = WARMUP_MS + DURATION_MS + CALL_TIMEOUT_MS + 5_000;
const TARGET_ADDED_P50_MS = 1;
const TARGET_RATIO = 0.5;
const RESULTS = fileURLToPath(new URL('./results/callouts.md', import.meta.url));
const CONNECTOR_PROCESS = fileURLToPath(new URL('./lib/sample-connector-process.ts', import.meta.url));
const CONNECTOR_USER = 'bench-connector-user';
const CONNECTOR_PASSWORD = 'bench-connector-password';
/** The sample connector's Fetch Attendee path (the SDK's default, `DEFAULT_PATHS.fetchAttendee`). */
const ATTENDEE_PATH = '/attendee/v2.0/find';
const ATTENDEE_TYPE = 'BUSGUEST';

const say = (text: string) => process.stdout.write(`${text}\n`);

// ---------------------------------------------------------------------------------------------------
// A bounded run

/**
 * The run's bound, declared to the runner and kept by the benchmark's own watchdog (bench/lib/progress.ts:
 * it kills the connector and patchbay, removes the data directory and exits 1): setup, then each window.
 */
bound(SETUP_BOUND_MS + CONCURRENCIES.length * 2 * PHASE_BOUND_MS);

// ---------------------------------------------------------------------------------------------------
// Setup

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The demo company and users in a fresh SQLite database, with 127.0.0.1 on the company's safe list. */
async function prepareDatabase(dataDir: string): Promise<void> {
  const location: StoreLocation = { kind: 'sqlite', file: path.join(dataDir, 'patchbay.db') };
  const store = await openStore(location);
  try {
    await store.migrate();
    await seedDemo(store);
    // The connector listens on loopback only; the demo's safe list has localhost, the URL says 127.0.0.1.
    await store.transaction((trx) => addSafeListHost(trx, null, DEMO.companyId, '127.0.0.1'));
  } finally {
    await store.close();
  }
}

/** A console session: the cookie and the CSRF token, as the browser holds them. */
interface Session {
  headers: Record<string, string>;
}

async function signIn(url: string, credentials: { loginId: string; password: string }): Promise<Session> {
  const response = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: credentials.loginId, password: credentials.password }) });
  if (response.status !== 200) throw new Error(`sign-in of ${credentials.loginId}: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { headers: { cookie, 'x-csrf-token': csrfToken } };
}

async function call(url: string, session: Session, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expectStatus(answer: { status: number; body: unknown }, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Registers the connector, verifies it, binds the attendee type and creates the employee's request; returns the search route. */
async function configure(patchbayUrl: string, connectorUrl: string): Promise<{ route: string; session: Session }> {
  const admin = await signIn(patchbayUrl, DEMO.admin);
  const company = `/api/companies/${DEMO.companyId}`;
  const registered = await call(patchbayUrl, admin, 'POST', `${company}/connectors`, { name: 'Sample connector', description: 'Benchmark', hostName: connectorUrl, userName: CONNECTOR_USER, password: CONNECTOR_PASSWORD });
  expectStatus(registered, 201, 'registering the connector');
  const connectorId = registered.body.id as string;
  const tested = await call(patchbayUrl, admin, 'POST', `${company}/connectors/${connectorId}/test-connection`);
  if ((tested.body.connector as { verified?: boolean } | undefined)?.verified !== true) throw new Error(`Test Connection failed: ${JSON.stringify(tested.body)}`);
  expectStatus(await call(patchbayUrl, admin, 'PUT', `${company}/attendee-types/${ATTENDEE_TYPE}`, { name: 'Business guest', allowsManual: true }), 200, 'the attendee type');
  expectStatus(
    await call(patchbayUrl, admin, 'PUT', `${company}/connectors/${connectorId}/services/fetch-attendee`, { endpoint: ATTENDEE_PATH, active: true, settings: { attendeeTypes: [ATTENDEE_TYPE] } }),
    200,
    'the Fetch Attendee service',
  );
  const employee = await signIn(patchbayUrl, DEMO.employee);
  const request = await call(patchbayUrl, employee, 'POST', `${company}/requests`, { name: 'Customer dinner', businessPurpose: 'Benchmark' });
  expectStatus(request, 201, 'creating the request');
  return { route: `${company}/requests/${request.body.id as string}/attendee-search`, session: employee };
}

// ---------------------------------------------------------------------------------------------------
// Measurement

/** One search: resolves when its whole answer is read; throws if the answer is not the expected one. */
type Search = () => Promise<void>;

/** One measured window, as the table shows it. */
interface Row {
  concurrency: number;
  path: 'direct' | 'patchbay';
  label: string;
  perSecond: number;
  latency: Percentiles;
  /** CPU (user + system) per search, µs, of each process. */
  cpu: { patchbay: number; connector: number; client: number };
  /** TLS handshakes the connector accepted during the measurement. */
  handshakes: number;
}

/**
 * `concurrency` closed loops of `search` for WARMUP_MS, then DURATION_MS counted: the searches that end in
 * the window, and their latencies. The loops stop at the end of the window (a search still in flight is
 * awaited, within CALL_TIMEOUT_MS).
 */
async function measure(concurrency: number, search: Search): Promise<{ perSecond: number; latencies: number[]; total: number }> {
  const begin = performance.now();
  const windowStart = begin + WARMUP_MS;
  const windowEnd = windowStart + DURATION_MS;
  const latencies: number[] = [];
  let total = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < windowEnd) {
        const sent = performance.now();
        await search();
        const done = performance.now();
        total++;
        if (done >= windowStart && done < windowEnd) latencies.push(done - sent);
      }
    }),
  );
  return { perSecond: latencies.length / (DURATION_MS / 1_000), latencies, total };
}

async function run(concurrency: number, pathName: Row['path'], label: string, search: Search, patchbay: NodeChild<PatchbayReady>, connector: NodeChild<SampleConnectorReady>): Promise<Row> {
  const profile = PROFILE_DIR && pathName === 'patchbay' ? path.join(PROFILE_DIR, `callouts-patchbay-c${concurrency}.cpuprofile`) : null;
  if (profile) await patchbay.call('profileStart');
  const handshakes = await connector.call<number>('handshakes');
  const before = { patchbay: await patchbay.cpuMicros(), connector: await connector.cpuMicros(), client: process.cpuUsage() };
  const result = await measure(concurrency, search);
  const client = process.cpuUsage(before.client);
  const after = { patchbay: await patchbay.cpuMicros(), connector: await connector.cpuMicros(), handshakes: await connector.call<number>('handshakes') };
  if (profile) {
    await patchbay.call('profileStop', profile);
    say(`  profile of patchbay at C${concurrency} (${profile}), warm-up included:`);
    say(summarise(JSON.parse(readFileSync(profile, 'utf8')) as Parameters<typeof summarise>[0], 30).replace(/^/gm, '    '));
  }
  const per = (micros: number) => micros / result.total;
  return {
    concurrency,
    path: pathName,
    label,
    perSecond: result.perSecond,
    latency: percentiles(result.latencies)!,
    cpu: { patchbay: per(after.patchbay - before.patchbay), connector: per(after.connector - before.connector), client: per(client.user + client.system) },
    handshakes: after.handshakes - handshakes,
  };
}

// ---------------------------------------------------------------------------------------------------
// Main

const startedAt = performance.now();
const loadAtStart = os.loadavg()[0]!;
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
const dataDir = makeTempDir(DATA_PARENT, 'patchbay-bench-callouts-');
const rows: Row[] = [];
let attendeeCount: number | undefined;
let connector: NodeChild<SampleConnectorReady> | undefined;
let patchbay: NodeChild<PatchbayReady> | undefined;
try {
  phase('setting up: sample connector, database, patchbay, registration');
  connector = await startNodeChild<SampleConnectorReady>(CONNECTOR_PROCESS, {
    name: 'sample connector',
    env: { ...process.env, BENCH_CERT_DIR: path.join(dataDir, 'dev-ca'), BENCH_CONNECTOR_USER: CONNECTOR_USER, BENCH_CONNECTOR_PASSWORD: CONNECTOR_PASSWORD },
  });
  await prepareDatabase(dataDir);
  const port = await freePort();
  patchbay = await startPatchbay(
    {
      PATCHBAY_DATA_DIR: dataDir,
      PATCHBAY_HOST: '127.0.0.1',
      PATCHBAY_PORT: String(port),
      PATCHBAY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PATCHBAY_LOG_LEVEL: SERVER_LOG_LEVEL,
      PATCHBAY_ALLOW_PRIVATE_ADDRESSES: 'loopback',
      PATCHBAY_EXTRA_CA_FILE: connector.ready.caCertPath,
    },
    { stdout: 'ignore' },
  );
  const { route, session } = await configure(patchbay.ready.url, connector.ready.url);

  // The same search both ways: the XML patchbay sends for it (owner: the demo employee).
  const xml = Buffer.from(buildAttendeeSearchRequest({ attendeeTypeCode: ATTENDEE_TYPE, lastName: LAST_NAME, ownerLoginId: DEMO.employee.loginId, maximumNumberRecords: 100 }), 'utf8');
  const json = JSON.stringify({ attendeeTypeCode: ATTENDEE_TYPE, lastName: LAST_NAME });
  const directHeaders = {
    authorization: `Basic ${Buffer.from(`${CONNECTOR_USER}:${CONNECTOR_PASSWORD}`).toString('base64')}`,
    'content-type': ATTENDEE_REQUEST_CONTENT_TYPE,
    accept: 'application/xml',
    'content-length': String(xml.length),
  };
  const patchbayHeaders = { ...session.headers, 'content-type': 'application/json' };

  // Checks before measuring: both paths find the same attendees.
  {
    const pool = new Pool(connector.ready.url, { connections: 1, connect: { ca: connector.ready.caCert } });
    const answer = await pool.request({ method: 'POST', path: ATTENDEE_PATH, headers: directHeaders, body: xml });
    const parsed = parseAttendeeSearchResponse(Buffer.from(await answer.body.arrayBuffer()), { maxRecords: 100 });
    await pool.close();
    if (answer.statusCode !== 200 || !parsed.ok) throw new Error(`direct search: ${answer.statusCode} ${parsed.ok ? '' : parsed.reason}`);
    const viaPatchbay = await fetch(`${patchbay.ready.url}${route}`, { method: 'POST', headers: patchbayHeaders, body: json });
    const found = (await viaPatchbay.json()) as { items?: Array<{ externalId: string }> };
    if (viaPatchbay.status !== 200 || JSON.stringify(found.items?.map((a) => a.externalId)) !== JSON.stringify(parsed.attendees.map((a) => a.externalId))) {
      throw new Error(`patchbay's search (${viaPatchbay.status}) does not find what the connector answers: ${JSON.stringify(found)}`);
    }
    attendeeCount = parsed.attendees.length;
    say(`  the search (last name "${LAST_NAME}") finds ${attendeeCount} attendees both ways`);
  }

  for (const concurrency of CONCURRENCIES) {
    const direct = new Pool(connector.ready.url, { connections: concurrency, pipelining: 1, connect: { ca: connector.ready.caCert } });
    const through = new Pool(patchbay.ready.url, { connections: concurrency, pipelining: 1 });
    const deadline = { headersTimeout: CALL_TIMEOUT_MS, bodyTimeout: CALL_TIMEOUT_MS };
    try {
      const directSearch: Search = async () => {
        const answer = await direct.request({ method: 'POST', path: ATTENDEE_PATH, headers: directHeaders, body: xml, ...deadline });
        await answer.body.dump({ limit: Infinity });
        if (answer.statusCode !== 200) throw new Error(`direct search: ${answer.statusCode}`);
      };
      const patchbaySearch: Search = async () => {
        const answer = await through.request({ method: 'POST', path: route, headers: patchbayHeaders, body: json, ...deadline });
        const text = await answer.body.text();
        if (answer.statusCode !== 200) throw new Error(`patchbay search: ${answer.statusCode} ${text}`);
      };
      for (const [pathName, label, search] of [
        ['direct', 'direct: undici → connector (HTTPS, Basic auth, XML)', directSearch],
        ['patchbay', 'through patchbay: console API → patchbay → connector', patchbaySearch],
      ] as const) {
        phase(`C${concurrency} ${pathName === 'direct' ? 'direct to the connector' : 'through patchbay'}`);
        const row = await run(concurrency, pathName, label, search, patchbay, connector);
        rows.push(row);
        note(`C${concurrency} ${pathName}: ${Math.round(row.perSecond).toLocaleString('en-US')} searches/s, p50 ${row.latency.p50.toFixed(2)} ms, p99 ${row.latency.p99.toFixed(2)} ms`);
      }
    } finally {
      await direct.close();
      await through.close();
    }
  }
} finally {
  await patchbay?.stop();
  await connector?.stop();
  removeTempDir(dataDir);
}

// ---------------------------------------------------------------------------------------------------
// Report

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const loadAtEnd = os.loadavg()[0]!;
const commit = describeCommit();
const cpu = os.cpus();
const header = [
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}. Store: SQLite (node:sqlite), WAL, synchronous=FULL. Loopback only.`,
  `Product: ${commitText(commit)}.`,
  `Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadAtEnd.toFixed(2)}: other work on the machine lowers every figure. The three processes (client, patchbay, connector) share the ${cpu.length} cores.`,
  `Connector: the sample connector (createSampleConnector) in its own process, HTTPS with a development CA; the search (AttendeeTypeCode ${ATTENDEE_TYPE}, LastName "${LAST_NAME}") answers ${attendeeCount ?? '?'} attendees. patchbay: one child for the run, log level ${SERVER_LOG_LEVEL} (to /dev/null), the CA trusted with PATCHBAY_EXTRA_CA_FILE.`,
  `Each figure: ${DURATION_MS / 1_000} s after ${WARMUP_MS / 1_000} s of warm-up, closed loop with C searches in flight over C keep-alive connections (undici Pool). Latency: send → whole answer read, for the searches that ended in the window.`,
  'direct = undici POSTs of the AttendeeSearchRequest patchbay sends, with Basic auth, to the connector; through patchbay = the console API (session cookie + CSRF token) `POST /api/companies/{c}/requests/{r}/attendee-search`, answered 200 with the same attendees. CPU/search: user+system CPU of each process per search, over the whole measurement (warm-up included). TLS handshakes: new connections the connector accepted during the measurement (keep-alive: about one per connection).',
];
const table = [
  '| C | Path | Searches/s | p50 ms | p95 ms | p99 ms | max ms | CPU/search patchbay | CPU/search connector | CPU/search client | TLS handshakes at the connector |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((row) => `| ${row.concurrency} | ${row.label} | ${fmt(row.perSecond)} | ${ms(row.latency.p50)} | ${ms(row.latency.p95)} | ${ms(row.latency.p99)} | ${ms(row.latency.max)} | ${fmt(row.cpu.patchbay)} µs | ${fmt(row.cpu.connector)} µs | ${fmt(row.cpu.client)} µs | ${row.handshakes} |`),
];
const pairs = CONCURRENCIES.map((concurrency) => ({
  concurrency,
  direct: rows.find((row) => row.concurrency === concurrency && row.path === 'direct')!,
  through: rows.find((row) => row.concurrency === concurrency && row.path === 'patchbay')!,
}));
const comparison = [
  '| C | Added p50 ms (patchbay − direct) | Added p99 ms | Throughput ratio (patchbay ÷ direct) |',
  '|---:|---:|---:|---:|',
  ...pairs.map(({ concurrency, direct, through }) => `| ${concurrency} | ${ms(through.latency.p50 - direct.latency.p50)} | ${ms(through.latency.p99 - direct.latency.p99)} | ${(through.perSecond / direct.perSecond).toFixed(2)} |`),
];
const lowest = pairs[0]!;
const highest = pairs.at(-1)!;
const addedP50 = lowest.through.latency.p50 - lowest.direct.latency.p50;
const ratio = highest.through.perSecond / highest.direct.perSecond;
const targets: Target[] = [
  { text: `Added p50 latency < ${TARGET_ADDED_P50_MS} ms (at concurrency ${lowest.concurrency}): ${ms(lowest.through.latency.p50)} − ${ms(lowest.direct.latency.p50)} = ${ms(addedP50)} ms`, met: addedP50 < TARGET_ADDED_P50_MS },
  { text: `Throughput ≥ ${TARGET_RATIO} × direct (at concurrency ${highest.concurrency}): ${fmt(highest.through.perSecond)} ÷ ${fmt(highest.direct.perSecond)} = ${ratio.toFixed(2)}`, met: ratio >= TARGET_RATIO },
];
const verdicts = targets.map((target) => `${target.text}: ${target.met ? 'MET' : 'MISSED'}.`);

say('');
for (const line of [...header, '', ...table, '', ...comparison, '', ...verdicts]) say(line);
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(
  RESULTS,
  [
    '# Callout benchmark',
    '',
    `Generated ${new Date().toISOString()} by \`node bench/callouts.ts\` (also run by \`npm run bench\`); do not edit by hand.`,
    '',
    ...header.map((line) => `${line}  `),
    '',
    ...table,
    '',
    ...comparison,
    '',
    ...verdicts.map((line) => `**${line}**  `),
    '',
  ].join('\n'),
);

// callouts.json: one row per concurrency, patchbay beside the direct calls (the raw limit) at the same concurrency.
const jsonRows: ResultRow[] = pairs.map(({ concurrency, direct, through }) => {
  const judged: Target[] = [];
  if (concurrency === lowest.concurrency) judged.push({ text: `added p50 < ${TARGET_ADDED_P50_MS} ms`, met: addedP50 < TARGET_ADDED_P50_MS });
  if (concurrency === highest.concurrency) judged.push({ text: `≥ ${TARGET_RATIO} × direct searches/s`, met: ratio >= TARGET_RATIO });
  return {
    id: `c${concurrency}`,
    label: `Fetch Attendee, ${concurrency} in flight`,
    headline: true,
    throughput: { value: round(through.perSecond), unit: 'searches/s' },
    latencyMs: latencyOf(through.latency),
    raw: { label: `direct to the connector, ${concurrency} in flight`, throughput: round(direct.perSecond), unit: 'searches/s', latencyMs: latencyOf(direct.latency) },
    ratio: round(through.perSecond / direct.perSecond),
    target: judged.length === 0 ? null : { text: judged.map((t) => t.text).join('; '), met: judged.every((t) => t.met) },
    extra: {
      addedP50Ms: round(through.latency.p50 - direct.latency.p50),
      addedP99Ms: round(through.latency.p99 - direct.latency.p99),
      cpuPerSearchPatchbayMicros: round(through.cpu.patchbay),
      cpuPerSearchConnectorMicros: round(through.cpu.connector),
    },
  };
});
const jsonFile = writeResult({
  name: 'callouts',
  title: 'Callouts (Fetch Attendee)',
  summary: 'Fetch Attendee searches per second and their latency through patchbay (console API → patchbay → connector over HTTPS), beside the same searches posted straight to the connector.',
  markdown: 'callouts.md',
  date: new Date().toISOString(),
  seconds: round((performance.now() - startedAt) / 1_000),
  commit,
  machine: await describeMachine(),
  load: { start: round(loadAtStart), end: round(loadAtEnd) },
  settings: { durationMs: DURATION_MS, warmupMs: WARMUP_MS, concurrencies: CONCURRENCIES.join(','), serverLogLevel: SERVER_LOG_LEVEL, lastName: LAST_NAME },
  rows: jsonRows,
  verdicts: targets,
});
say(`\nWritten to ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), jsonFile)}`);
