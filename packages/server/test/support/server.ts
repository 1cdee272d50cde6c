/**
 * A real patchbay for tests: the real app over a real store, listening on 127.0.0.1 port 0, with a
 * platform operator, one company and its connector administrator already created.
 */
import { createServer, type AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { openPatchbay, type Patchbay } from '../../src/runtime.ts';
import { addSafeListHost, createCompany, createUser, type Edition } from '../../src/companies/companies.ts';
import type { Role } from '../../src/identity/principal.ts';
import { STORE_KINDS, type TestDatabase } from './stores.ts';

/** Credentials of a seeded user. */
export interface Credentials {
  loginId: string;
  password: string;
}

/** Options for `startTestServer`. */
export interface TestServerOptions {
  /** Extra CA (PEM) trusted for connectors. */
  extraCa?: string;
  allowPrivateAddresses?: 'none' | 'loopback' | 'all';
  /** Which store; SQLite by default. */
  database?: TestDatabase;
  outboundTimeoutMs?: number;
  /** More PATCHBAY_* settings, e.g. `{ PATCHBAY_CLOCK_SPEED: '3600' }`. */
  env?: Record<string, string>;
  /** Runs before the server listens, e.g. to add a route protected by `patchbay.guard`. */
  beforeListen?: (patchbay: Patchbay) => void | Promise<void>;
}

/** A running test server. */
export interface TestServer {
  url: string;
  patchbay: Patchbay;
  database: TestDatabase;
  operator: Credentials;
  companyId: string;
  /** Can Administer... here Web Services Administrator at a Professional Development Partner company. */
  admin: Credentials;
  addSafeHost(host: string, companyId?: string): Promise<void>;
  /** Creates another company with a user holding `roles`. */
  addCompany(input: { edition: Edition; developmentPartner: boolean; roles: Role[] }): Promise<{ companyId: string; user: Credentials }>;
  /** Creates a user of an existing company. */
  addUser(companyId: string, roles: Role[]): Promise<Credentials>;
  /** Stops the server; the database is dropped unless `keepDatabase`. */
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

const PASSWORD = 'correct-horse-battery';

/** A port that is free now (the kernel's choice for port 0), for a server that must know its URL before listening. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts patchbay on a fresh (or the given) database. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await STORE_KINDS[0]!.create());
  // The public URL (events' hrefs, token issuer) must be the address the server really listens on.
  const port = await freePort();
  const env: Record<string, string> = {
    PATCHBAY_DATA_DIR: database.dataDir,
    PATCHBAY_PORT: String(port),
    PATCHBAY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PATCHBAY_LOG_LEVEL: 'silent',
    PATCHBAY_ALLOW_PRIVATE_ADDRESSES: options.allowPrivateAddresses ?? 'loopback',
    PATCHBAY_OUTBOUND_TIMEOUT_MS: String(options.outboundTimeoutMs ?? 5_000),
  };
  if (options.extraCa) {
    const { writeFileSync } = await import('node:fs');
    const file = `${database.dataDir}/extra-ca.pem`;
    writeFileSync(file, options.extraCa);
    env.PATCHBAY_EXTRA_CA_FILE = file;
  }
  const config = loadConfig([], { ...env, ...options.env });
  const patchbay = await openPatchbay(config, database.location);
  const { store } = patchbay;
  let counter = 0;
  const addUser = async (companyId: string | null, roles: Role[]): Promise<Credentials> => {
    const loginId = `user${++counter}-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await store.transaction((trx) => createUser(trx, null, { companyId, loginId, name: `User ${counter}`, password: PASSWORD, roles }));
    return { loginId, password: PASSWORD };
  };
  const addCompany: TestServer['addCompany'] = async ({ edition, developmentPartner, roles }) => {
    const company = await store.transaction((trx) => createCompany(trx, null, { name: `Company ${++counter}`, edition, developmentPartner }));
    return { companyId: company.id, user: await addUser(company.id, roles) };
  };

  const operator = await addUser(null, []);
  const main = await addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
  await options.beforeListen?.(patchbay);
  const url = await patchbay.app.listen({ host: '127.0.0.1', port });
  let closed = false;
  return {
    url,
    patchbay,
    database,
    operator,
    companyId: main.companyId,
    admin: main.user,
    addSafeHost: async (host, companyId = main.companyId) => {
      await store.transaction((trx) => addSafeListHost(trx, null, companyId, host));
    },
    addCompany,
    addUser,
    async close({ keepDatabase = false } = {}) {
      if (closed) return;
      closed = true;
      await patchbay.close();
      if (!keepDatabase) await database.drop();
    },
  };
}
