/**
 * The workflow benchmark (acceptance 5 of the Request issue): Request workflow actions per second, each
 * committing its transition and its `statusChange` event, on SQLite and on PostgreSQL, beside the raw
 * insert rate of the same store measured in the same run.
 *
 * For each store:
 *   - raw inserts: single-row INSERT transactions into a scratch table shaped like `events` (same
 *     columns, constraints and indexes), through the store (`store.transaction` + Kysely) and, for
 *     reference, straight through the driver; same connection settings (SQLite: WAL, synchronous=FULL;
 *     PostgreSQL: the server's own settings).
 *   - in-process: `performAction` inside `store.transaction` (with `findRequest`, as the route does),
 *     i.e. the engine's own cost without HTTP.
 *   - HTTP: a real `patchbay start --demo` child, Request v4 `POST /requests/{id}/{action}` with user
 *     tokens, over keep-alive connections (an undici Pool).
 * Every request walks submit, approve, sendback, submit, approve, approve: six transitions through a
 * workflow of two notifying steps (the traveler's manager, then a named user), so every action
 * publishes one event. After each measurement the benchmark checks that the outbox grew by exactly
 * the number of actions performed.
 *
 * Environment: BENCH_DURATION_MS (default 3000 per measurement), BENCH_REPEAT (default 1: rounds per
 * measurement, the best is kept), BENCH_CONCURRENCY (default 8),
 * BENCH_STORES (default "sqlite,postgres"), BENCH_MODES (default "raw,inprocess,http"),
 * PATCHBAY_BENCH_DATABASE_URL (the server to use, else PATCHBAY_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres; the benchmark creates its own database there and drops it),
 * BENCH_SERVER_LOG_LEVEL (the child's log level, default info as in production),
 * BENCH_PROFILE_DIR (write V8 CPU profiles of the HTTP child there; profile the in-process run with
 * `node --cpu-prof bench/workflow.ts`). Results go to stdout, bench/results/workflow.md and
 * bench/results/workflow.json. The run is bounded: it declares its bound to `bench/run.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import pg from 'pg';
import { Pool } from 'undici';
import { openStore, type Store, type StoreLocation } from '../packages/server/src/store/store.ts';
import { DEMO, seedDemo } from '../packages/server/src/demo.ts';
import { createUser } from '../packages/server/src/companies/companies.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from '../packages/server/src/requests/workflow-admin.ts';
import { createRequest, findRequest } from '../packages/server/src/requests/requests.ts';
import { performAction, type WorkflowAction } from '../packages/server/src/requests/workflow-engine.ts';
import { buildStatusChangeEvent } from '../packages/server/src/requests/status-change-event.ts';
import { bound, makeTempDir, note, phase, removeTempDir, track } from './lib/progress.ts';
import { createBenchDatabase } from './lib/postgres-database.ts';
import { commitText, describeCommit, describeMachine, round, writeResult, type ResultRow } from './lib/result.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = 500;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const MODES = (process.env.BENCH_MODES ?? 'raw,inprocess,http').split(',');
const SERVER_LOG_LEVEL = process.env.BENCH_SERVER_LOG_LEVEL ?? 'info';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const TARGET = 2_000;
const MAIN = fileURLToPath(new URL('../packages/server/src/main.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/workflow.md', import.meta.url));
const PASSWORD = 'bench-password';
const TRAVELERS = 4;

/** A request's walk through the workflow: six transitions, each publishing one event. */
const LIFECYCLE: ReadonlyArray<{ action: WorkflowAction; by: 'owner' | 'manager' | 'budget' }> = [
  { action: 'submit', by: 'owner' },
  { action: 'approve', by: 'manager' },
  { action: 'sendback', by: 'budget' },
  { action: 'submit', by: 'owner' },
  { action: 'approve', by: 'manager' },
  { action: 'approve', by: 'budget' },
];
/** Requests created up front per measurement: enough for 8,000 actions/s over the whole window. */
const POOL_SIZE = Math.ceil((8_000 * REPEAT * (DURATION_MS + WARMUP_MS + 1_000)) / 1_000 / LIFECYCLE.length);

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The whole run's bound, declared to the runner: per store a generous two minutes of setup (migrations,
 * the demo, 2 × POOL_SIZE draft requests, a patchbay child) plus four measurements of REPEAT windows,
 * each with its warm-up and up to 5 s of slack (a loaded machine), plus a minute for the rest.
 */
bound(60_000 + STORES.length * (120_000 + 4 * REPEAT * (WARMUP_MS + DURATION_MS + 5_000)));

interface Users {
  managerId: string;
  budgetId: string;
  travelers: Array<{ id: string; loginId: string }>;
  managerLogin: string;
  budgetLogin: string;
}

/** Result of one timed window. */
interface Rate {
  perSecond: number;
  operations: number;
  seconds: number;
  /** CPU time per operation (µs) of the process doing the work: this one, or the HTTP child. */
  cpuMicros: number;
}

/**
 * Runs `workers` copies of `operation` for WARMUP_MS, then counts completed operations for DURATION_MS;
 * BENCH_REPEAT times, keeping the best window (on a shared machine the best is the least disturbed).
 * Returns that rate and the total number of operations done (warm-ups included).
 */
async function measure(workers: number, operation: (worker: number) => Promise<void>): Promise<{ rate: Rate; total: number }> {
  let best: Rate | undefined;
  let total = 0;
  for (let round = 0; round < REPEAT; round++) {
    const result = await measureOnce(workers, operation);
    total += result.total;
    if (!best || result.rate.perSecond > best.perSecond) best = result.rate;
  }
  return { rate: best!, total };
}

async function measureOnce(workers: number, operation: (worker: number) => Promise<void>): Promise<{ rate: Rate; total: number }> {
  // The clock is read in the loops, not by timers: with node:sqlite every await of a transaction
  // settles as a microtask, so a timer would never get to run while the loops spin.
  const begin = performance.now();
  const cpu = process.cpuUsage();
  const windowStart = begin + WARMUP_MS;
  const windowEnd = windowStart + DURATION_MS;
  let total = 0;
  let inWindow = 0;
  let failed = false;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (!failed && performance.now() < windowEnd) {
      try {
        await operation(worker);
      } catch (error) {
        failed = true;
        throw error;
      }
      total++;
      const now = performance.now();
      if (now >= windowStart && now < windowEnd) inWindow++;
    }
  });
  await Promise.all(loops);
  const used = process.cpuUsage(cpu);
  const seconds = DURATION_MS / 1_000;
  return { rate: { perSecond: inWindow / seconds, operations: inWindow, seconds, cpuMicros: (used.user + used.system) / total }, total };
}

/** Pops requests of a pre-created pool, one lifecycle each. */
function requestPool(ids: Array<{ id: string; ownerIndex: number }>) {
  let next = 0;
  return () => {
    const entry = ids[next++];
    if (!entry) throw new Error(`the pool of ${ids.length} pre-created requests ran out: raise POOL_SIZE`);
    return entry;
  };
}

async function setUp(store: Store): Promise<Users> {
  await store.migrate();
  await seedDemo(store);
  return store.transaction(async (trx) => {
    const tag = randomUUID().slice(0, 8);
    const make = (name: string) => createUser(trx, null, { companyId: DEMO.companyId, loginId: `${name}-${tag}@bench.test`, name: `Bench ${name}`, password: PASSWORD, roles: ['EMPLOYEE'] });
    const manager = await make('manager');
    const budget = await make('budget');
    const travelers = [];
    for (let i = 0; i < TRAVELERS; i++) {
      const traveler = await make(`traveler${i}`);
      await updateUserWorkflowFields(trx, null, DEMO.companyId, traveler.id, { managerId: manager.id });
      travelers.push({ id: traveler.id, loginId: traveler.loginId });
    }
    const workflow = await saveWorkflow(trx, null, DEMO.companyId, {
      name: 'Bench approval',
      approvedStepCode: 'REQAPPR',
      steps: [
        { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGR' },
        { roleCode: 'BDGT_APPROVE', approverType: 'USER', approverUserId: budget.id, notify: true, stepCode: 'PENDBDG' },
      ],
    });
    await savePolicy(trx, null, DEMO.companyId, { name: 'Bench policy', workflowId: workflow.id, isDefault: true });
    return { managerId: manager.id, budgetId: budget.id, travelers, managerLogin: manager.loginId, budgetLogin: budget.loginId };
  });
}

/** Creates `count` draft requests, spread over the travelers. */
async function precreate(store: Store, users: Users, count: number): Promise<Array<{ id: string; ownerIndex: number }>> {
  const ids: Array<{ id: string; ownerIndex: number }> = [];
  for (let batch = 0; batch < count; batch += 250) {
    await store.transaction(async (trx) => {
      for (let i = batch; i < Math.min(count, batch + 250); i++) {
        const ownerIndex = i % TRAVELERS;
        const row = await createRequest(trx, DEMO.companyId, users.travelers[ownerIndex]!.id, { name: `Bench ${i}` });
        ids.push({ id: row.id, ownerIndex });
      }
    });
  }
  return ids;
}

async function countEvents(store: Store): Promise<number> {
  const row = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A realistic outbox payload (about the size of a real event). */
function samplePayload(): string {
  return JSON.stringify(
    buildStatusChangeEvent({
      outcome: { kind: 'PENDING', role: 'RequestManager', status: 'PendingRequestManagerApproval', currentApprovalStatus: 'Q_PEND' },
      href: `http://127.0.0.1:3000/travelrequest/v4/requests/${'A'.repeat(32)}`,
      requestUuid: 'A'.repeat(32),
      requestKey: 'ABCD',
      companyId: DEMO.companyId,
      entityId: DEMO.entityId,
      policyId: 'B'.repeat(32),
      ownerId: randomUUID(),
      actingUserId: null,
      recipientId: randomUUID(),
      stepCode: 'PENDMGR',
      isClosed: false,
      isTest: false,
      isRecall: false,
      isPaymentCardRelated: false,
      travelAgencyId: null,
    }),
  );
}

/** The scratch table: the shape of `events`, with its constraints and indexes. */
function scratchTableSql(dialect: 'sqlite' | 'postgres'): string[] {
  const seq = dialect === 'sqlite' ? 'seq INTEGER PRIMARY KEY AUTOINCREMENT' : 'seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
  const bigint = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return [
    'DROP TABLE IF EXISTS bench_raw_events',
    `CREATE TABLE bench_raw_events (${seq}, id TEXT NOT NULL UNIQUE, company_id TEXT NOT NULL REFERENCES companies (id), topic TEXT NOT NULL, event_type TEXT NOT NULL, request_id TEXT NOT NULL, payload TEXT NOT NULL, created_at ${bigint} NOT NULL)`,
    'CREATE INDEX bench_raw_events_company ON bench_raw_events (company_id, seq)',
    'CREATE INDEX bench_raw_events_request ON bench_raw_events (request_id, seq)',
  ];
}

const INSERT_SQL = 'INSERT INTO bench_raw_events (id, company_id, topic, event_type, request_id, payload, created_at) VALUES';

/** Single-row INSERT transactions through the store (Kysely over the store's connection or pool). */
async function rawStoreInserts(store: Store): Promise<Rate> {
  for (const statement of scratchTableSql(store.dialect)) await sql.raw(statement).execute(store.db);
  const payload = samplePayload();
  const requestId = 'C'.repeat(32);
  const { rate } = await measure(CONCURRENCY, () =>
    store.transaction(async (trx) => {
      await sql`INSERT INTO bench_raw_events (id, company_id, topic, event_type, request_id, payload, created_at) VALUES (${randomUUID()}, ${DEMO.companyId}, ${'public.concur.request'}, ${'statusChange.PENDING.RequestManager'}, ${requestId}, ${payload}, ${Date.now()})`.execute(trx);
    }),
  );
  return rate;
}

/** The same inserts straight through the driver: SQLite's own connection with the store's pragmas, or a pg pool. */
async function rawDriverInserts(location: StoreLocation): Promise<Rate> {
  const payload = samplePayload();
  const requestId = 'D'.repeat(32);
  if (location.kind === 'sqlite') {
    const db = new DatabaseSync(location.file);
    try {
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
      const insert = db.prepare(`${INSERT_SQL} (?, ?, ?, ?, ?, ?, ?)`);
      // node:sqlite is synchronous: one worker.
      const { rate } = await measure(1, async () => {
        db.exec('BEGIN');
        insert.run(randomUUID(), DEMO.companyId, 'public.concur.request', 'statusChange.PENDING.RequestManager', requestId, payload, Date.now());
        db.exec('COMMIT');
      });
      return rate;
    } finally {
      db.close();
    }
  }
  const pool = new pg.Pool({ connectionString: location.url, max: 10 });
  try {
    const { rate } = await measure(CONCURRENCY, async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`${INSERT_SQL} ($1, $2, $3, $4, $5, $6, $7)`, [randomUUID(), DEMO.companyId, 'public.concur.request', 'statusChange.PENDING.RequestManager', requestId, payload, Date.now()]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    return rate;
  } finally {
    await pool.end();
  }
}

/** `performAction` inside `store.transaction`, as the route calls it, without HTTP. */
async function inProcessActions(store: Store, users: Users, requests: Array<{ id: string; ownerIndex: number }>): Promise<Rate> {
  const take = requestPool(requests);
  const before = await countEvents(store);
  const current: Array<{ id: string; ownerIndex: number; step: number } | undefined> = [];
  const actorId = (by: 'owner' | 'manager' | 'budget', ownerIndex: number) => (by === 'owner' ? users.travelers[ownerIndex]!.id : by === 'manager' ? users.managerId : users.budgetId);
  const { rate, total } = await measure(CONCURRENCY, async (worker) => {
    let walk = current[worker];
    if (!walk || walk.step === LIFECYCLE.length) walk = current[worker] = { ...take(), step: 0 };
    const { action, by } = LIFECYCLE[walk.step]!;
    const requestId = walk.id;
    await store.transaction(async (trx) =>
      performAction(trx, await findRequest(trx, DEMO.companyId, requestId), action, { kind: 'user', userId: actorId(by, walk.ownerIndex) }, null, {
        publicUrl: 'http://127.0.0.1:3000',
        correlationId: randomUUID(),
      }),
    );
    walk.step++;
  });
  const events = (await countEvents(store)) - before;
  if (events !== total) throw new Error(`in-process: ${total} actions committed ${events} events`);
  return rate;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const flags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...flags, MAIN, 'start', '--demo', '--port', String(port)], {
    env: { ...process.env, PATCHBAY_LOG_LEVEL: SERVER_LOG_LEVEL, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`patchbay exited early:\n${errors}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`patchbay did not start:\n${errors}`);
}

/** User plus system CPU time of a process so far, in µs (Linux /proc; NaN elsewhere). */
function processCpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return Number.NaN;
  }
}

async function userToken(url: string, loginId: string): Promise<string> {
  const response = await fetch(`${url}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: DEMO.application.id, client_secret: DEMO.application.clientSecret, username: loginId, password: PASSWORD }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`token for ${loginId}: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Request v4 workflow actions against a real patchbay child over keep-alive connections. */
async function httpActions(location: StoreLocation, dataDir: string, users: Users, requests: Array<{ id: string; ownerIndex: number }>): Promise<Rate & { total: number }> {
  const env: Record<string, string> = { PATCHBAY_DATA_DIR: dataDir };
  if (location.kind === 'postgres') env.PATCHBAY_DATABASE_URL = location.url;
  const { child, url } = await startChild(env);
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  try {
    const tokens = {
      manager: await userToken(url, users.managerLogin),
      budget: await userToken(url, users.budgetLogin),
      travelers: await Promise.all(users.travelers.map((t) => userToken(url, t.loginId))),
    };
    const take = requestPool(requests);
    const current: Array<{ id: string; ownerIndex: number; step: number } | undefined> = [];
    const serverCpu = processCpuMicros(child.pid!);
    const { rate, total } = await measure(CONCURRENCY, async (worker) => {
      let walk = current[worker];
      if (!walk || walk.step === LIFECYCLE.length) walk = current[worker] = { ...take(), step: 0 };
      const { action, by } = LIFECYCLE[walk.step]!;
      const token = by === 'owner' ? tokens.travelers[walk.ownerIndex]! : tokens[by];
      const response = await pool.request({
        method: 'POST',
        path: `/travelrequest/v4/requests/${walk.id}/${action}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${action} on ${walk.id}: ${response.statusCode} ${text}`);
      walk.step++;
    });
    return { ...rate, cpuMicros: (processCpuMicros(child.pid!) - serverCpu) / total, total };
  } finally {
    await pool.close();
    child.kill('SIGTERM');
    await exited;
  }
}

/** A fresh database of each kind, or why it cannot be had. */
async function freshDatabase(kind: string): Promise<{ location: StoreLocation; dataDir: string; drop: () => Promise<void> } | string> {
  const dataDir = makeTempDir(os.tmpdir(), 'patchbay-bench-');
  if (kind === 'sqlite') {
    return { location: { kind: 'sqlite', file: path.join(dataDir, 'patchbay.db') }, dataDir, drop: async () => removeTempDir(dataDir) };
  }
  const database = await createBenchDatabase();
  if (typeof database === 'string') {
    removeTempDir(dataDir);
    return database;
  }
  return {
    location: { kind: 'postgres', url: database.url },
    dataDir,
    async drop() {
      removeTempDir(dataDir);
      await database.drop();
    },
  };
}

async function describeStore(store: Store): Promise<string> {
  if (store.dialect === 'sqlite') {
    const { rows } = await sql<{ version: string }>`SELECT sqlite_version() AS version`.execute(store.db);
    return `SQLite ${rows[0]!.version} (node:sqlite), WAL, synchronous=FULL`;
  }
  const { rows } = await sql<{ version: string; sync: string; fsync: string }>`SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync`.execute(store.db);
  return `PostgreSQL ${rows[0]!.version} on loopback, synchronous_commit=${rows[0]!.sync}, fsync=${rows[0]!.fsync}, pool of 10`;
}

interface Row {
  store: string;
  /** "inprocess" or "http". */
  id?: string;
  mode: string;
  actions?: Rate;
  raw?: Rate;
  driver?: Rate;
  note?: string;
}

const fmt = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));

async function benchStore(kind: string, rows: Row[], descriptions: string[]): Promise<void> {
  const database = await freshDatabase(kind);
  if (typeof database === 'string') {
    say(`${kind}: skipped: ${database}`);
    rows.push({ store: kind, mode: '—', note: `skipped: ${database}` });
    return;
  }
  try {
    phase(`${kind}: setting up (migrate, demo, workflow, ${POOL_SIZE} requests per measurement)`);
    let store = await openStore(database.location);
    const users = await setUp(store);
    descriptions.push(`${kind}: ${await describeStore(store)}`);
    const pools = {
      inprocess: MODES.includes('inprocess') ? await precreate(store, users, POOL_SIZE) : [],
      http: MODES.includes('http') ? await precreate(store, users, POOL_SIZE) : [],
    };
    let raw: Rate | undefined;
    let driver: Rate | undefined;
    if (MODES.includes('raw') || MODES.includes('inprocess') || MODES.includes('http')) {
      phase(`${kind}: raw inserts through the store`);
      raw = await rawStoreInserts(store);
      note(`${kind}: raw inserts through the store: ${fmt(raw.perSecond)}/s`);
    }
    if (MODES.includes('raw')) {
      await store.close();
      phase(`${kind}: raw inserts through the driver`);
      driver = await rawDriverInserts(database.location);
      note(`${kind}: raw inserts through the driver: ${fmt(driver.perSecond)}/s`);
      store = await openStore(database.location);
    }
    if (MODES.includes('inprocess')) {
      phase(`${kind}: in-process actions`);
      const actions = await inProcessActions(store, users, pools.inprocess);
      note(`${kind}: in-process actions: ${fmt(actions.perSecond)}/s`);
      rows.push({ store: kind, id: 'inprocess', mode: 'in-process (performAction in store.transaction)', actions, raw, driver });
    }
    if (MODES.includes('http')) {
      const before = await countEvents(store);
      // The child has the database to itself while it is measured.
      await store.close();
      phase(`${kind}: HTTP actions`);
      const actions = await httpActions(database.location, database.dataDir, users, pools.http);
      store = await openStore(database.location);
      const events = (await countEvents(store)) - before;
      if (events !== actions.total) throw new Error(`HTTP: ${actions.total} acknowledged actions committed ${events} events`);
      note(`${kind}: HTTP actions: ${fmt(actions.perSecond)}/s`);
      rows.push({ store: kind, id: 'http', mode: `HTTP (Request v4, ${CONCURRENCY} keep-alive connections)`, actions, raw, driver });
    }
    await store.close();
  } finally {
    await database.drop();
  }
}

const startedAt = performance.now();
const loadAtStart = os.loadavg()[0]!;
const rows: Row[] = [];
const descriptions: string[] = [];
for (const kind of STORES) await benchStore(kind, rows, descriptions);

const loadAtEnd = os.loadavg()[0]!;
const commit = describeCommit();
const cpu = os.cpus();
const header = [
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}.`,
  `Product: ${commitText(commit)}.`,
  ...descriptions.map((d) => `Store ${d}.`),
  `Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadAtEnd.toFixed(2)}: other work on the machine lowers every figure.`,
  'CPU per action: user+system CPU time of the process doing the work (in-process: the benchmark process; HTTP: the patchbay child, excluding the client), averaged over every action of the measurement.',
  `Each figure: ${REPEAT > 1 ? `the best of ${REPEAT} windows of ` : ''}${DURATION_MS / 1_000} s after ${WARMUP_MS / 1_000} s of warm-up, ${CONCURRENCY} concurrent workers (raw driver inserts on SQLite: 1, node:sqlite is synchronous). Server log level (HTTP): ${SERVER_LOG_LEVEL}.`,
  'An action is one workflow transition committed with its statusChange event (lifecycle: submit, approve, sendback, submit, approve, approve); raw = one single-row INSERT transaction into a scratch table shaped like `events`; ratio = actions/s ÷ raw inserts/s through the same store.',
];
const micros = (rate: Rate | undefined) => (rate === undefined || Number.isNaN(rate.cpuMicros) ? '—' : `${Math.round(rate.cpuMicros).toLocaleString('en-US')} µs`);
const table = [
  '| Store | Mode | Actions/s | Raw inserts/s (store) | Ratio | CPU per action | CPU per raw insert | Raw inserts/s (driver) |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((row) =>
    row.note
      ? `| ${row.store} | ${row.note} | — | — | — | — | — | — |`
      : `| ${row.store} | ${row.mode} | ${fmt(row.actions?.perSecond)} | ${fmt(row.raw?.perSecond)} | ${row.actions && row.raw ? (row.actions.perSecond / row.raw.perSecond).toFixed(2) : '—'} | ${micros(row.actions)} | ${micros(row.raw)} | ${fmt(row.driver?.perSecond)} |`,
  ),
];
const sqliteRows = rows.filter((row) => row.store === 'sqlite' && row.actions);
const verdict = sqliteRows.length
  ? `Target (≥ ${TARGET.toLocaleString('en-US')} actions/s on SQLite): ${sqliteRows.map((row) => `${row.mode.split(' (')[0]} ${fmt(row.actions!.perSecond)}/s ${row.actions!.perSecond >= TARGET ? 'MET' : 'MISSED'}`).join('; ')}.`
  : 'Target: not measured (SQLite was not run).';

say('');
for (const line of [...header, '', ...table, '', verdict]) say(line);
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, ['# Workflow benchmark', '', `Run ${new Date().toISOString()} with \`npm run bench\` (bench/workflow.ts).`, '', ...header.map((line) => `${line}  `), '', ...table, '', `**${verdict}**`, ''].join('\n'));

const STORE_NAMES: Record<string, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const jsonRows: ResultRow[] = rows.map((row) => {
  const storeName = STORE_NAMES[row.store] ?? row.store;
  if (row.note || !row.actions) {
    return { id: `${row.store}-skipped`, label: `${storeName}: skipped`, headline: true, throughput: null, latencyMs: null, raw: null, ratio: null, target: null, note: row.note ?? 'not measured' };
  }
  const target = row.store === 'sqlite' ? { text: `≥ ${TARGET.toLocaleString('en-US')} actions/s`, met: row.actions.perSecond >= TARGET } : null;
  return {
    id: `${row.store}-${row.id}`,
    label: `${storeName}, ${row.id === 'http' ? 'HTTP (Request v4)' : 'in-process'}`,
    headline: true,
    throughput: { value: round(row.actions.perSecond), unit: 'actions/s' },
    latencyMs: null,
    raw: row.raw ? { label: 'single-row inserts through the same store', throughput: round(row.raw.perSecond), unit: 'inserts/s', latencyMs: null } : null,
    ratio: row.raw ? round(row.actions.perSecond / row.raw.perSecond) : null,
    target,
    extra: {
      cpuPerActionMicros: Number.isNaN(row.actions.cpuMicros) ? null : round(row.actions.cpuMicros),
      cpuPerRawInsertMicros: row.raw ? round(row.raw.cpuMicros) : null,
      driverInsertsPerSecond: row.driver ? round(row.driver.perSecond) : null,
    },
  };
});
const jsonFile = writeResult({
  name: 'workflow',
  title: 'Workflow actions',
  summary: 'Request workflow transitions per second, each committed with its statusChange event, in-process and over HTTP (Request v4), beside single-row inserts through the same store.',
  markdown: 'workflow.md',
  date: new Date().toISOString(),
  seconds: round((performance.now() - startedAt) / 1_000),
  commit,
  machine: await describeMachine(),
  load: { start: round(loadAtStart), end: round(loadAtEnd) },
  settings: { durationMs: DURATION_MS, warmupMs: WARMUP_MS, repeat: REPEAT, concurrency: CONCURRENCY, stores: STORES.join(','), modes: MODES.join(','), serverLogLevel: SERVER_LOG_LEVEL },
  rows: jsonRows,
  verdicts: sqliteRows.map((row) => ({ text: `SQLite ${row.mode.split(' (')[0]}: ${fmt(row.actions!.perSecond)} actions/s (target ≥ ${TARGET.toLocaleString('en-US')})`, met: row.actions!.perSecond >= TARGET })),
});
say(`\nWritten to ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), jsonFile)}`);
