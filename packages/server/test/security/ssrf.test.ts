/**
 * Server-side request forgery, end to end through the admin API with PATCHBAY_ALLOW_PRIVATE_ADDRESSES=none:
 * connectors whose Host Name is a private, loopback, link-local, metadata or unspecified address,
 * spelled every way the URL parser accepts (decimal 2130706433, hex 0x7f000001, octal 0177.0.0.1,
 * short 127.1, IPv4-mapped, NAT64 and 6to4 IPv6), or a DNS name resolving to one (a name in
 * `.attacker.test`, answered by a stub of `dns.lookup`, which the outbound client's socket lookup calls),
 * are refused by Test Connection and by the callouts (Fetch Attendee, Fetch List) of a connector that was
 * verified while its name still pointed outside: `private_address`, and a trap listening on the loopback
 * addresses is never connected to, even when the operator safe-listed the host. DNS rebinding: a name
 * whose answer changes between lookups is connected to at exactly the address that was checked (with
 * policy `loopback`, the only policy under which a test can watch a checked address succeed). The
 * outbound client's own unit tests (connectors/outbound-client.test.ts) cover the range table; these
 * tests cover the routes on top of it. SQLite only: nothing here depends on the store.
 */
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { travelerAndManager } from '../support/ess-fixtures.ts';
import { createDevCa, startFakeConnector, type FakeConnector } from '../support/tls-fixture.ts';

/** A TCP listener that only counts who connects to it. */
interface Trap {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

async function startTrap(host: string): Promise<Trap> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

type LookupAnswer = Array<{ address: string; family: 4 | 6 }>;
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * Stubs `dns.lookup` for names under `.attacker.test` with `answer(name, call)`; other names resolve
 * as usual. Returns the names looked up, in order.
 */
function stubDns(answer: (name: string, call: number) => LookupAnswer): { lookups: string[] } {
  const lookups: string[] = [];
  const original = dns.lookup.bind(dns);
  mock.method(dns, 'lookup', (hostname: string, options: unknown, callback?: LookupCallback) => {
    const done = (typeof options === 'function' ? options : callback) as LookupCallback;
    const settings = (typeof options === 'object' && options !== null ? options : {}) as dns.LookupOptions;
    if (!hostname.endsWith('.attacker.test')) return (original as (...args: unknown[]) => void)(hostname, options, callback);
    lookups.push(hostname);
    const addresses = answer(hostname, lookups.filter((name) => name === hostname).length);
    queueMicrotask(() => {
      if (settings.all) done(null, addresses);
      else done(null, addresses[0]!.address, addresses[0]!.family);
    });
  });
  return { lookups };
}

const v4 = (address: string): LookupAnswer => [{ address, family: 4 }];
const v6 = (address: string): LookupAnswer => [{ address, family: 6 }];

describe('SSRF through Test Connection and the callouts, PATCHBAY_ALLOW_PRIVATE_ADDRESSES=none', () => {
  let server: TestServer;
  let operator: ApiClient;
  let admin: ApiClient;
  let trap4: Trap;
  let trap6: Trap;
  const company = () => `/api/companies/${server.companyId}`;

  before(async () => {
    trap4 = await startTrap('127.0.0.1');
    trap6 = await startTrap('::1');
    server = await startTestServer({ allowPrivateAddresses: 'none', outboundTimeoutMs: 2_000 });
    operator = await signIn(server.url, server.operator);
    admin = await signIn(server.url, server.admin);
    // The operator safe-lists everything: the address check must stand on its own.
    assert.equal((await operator.post(`${company()}/safe-list`, { host: '*.attacker.test' })).status, 201);
  });
  after(async () => {
    await server?.close();
    await trap4?.close();
    await trap6?.close();
  });
  afterEach(() => mock.restoreAll());

  /** Registers a connector on `hostName`, safe-lists its host, runs Test Connection and returns the result. */
  async function testConnection(hostName: string): Promise<{ status: number; result: any; connector: any }> {
    const registered = await admin.post(`${company()}/connectors`, { name: `SSRF ${hostName}`.slice(0, 100), description: '', hostName, userName: 'ssrf-user-name', password: 'ssrf-password' });
    assert.equal(registered.status, 201, `${hostName}: ${JSON.stringify(registered.body)}`);
    const host = new URL(registered.body.hostName).hostname;
    if (!host.endsWith('.attacker.test')) {
      const safe = await operator.post(`${company()}/safe-list`, { host });
      assert.equal(safe.status, 201, `safe-list ${host}: ${JSON.stringify(safe.body)}`);
    }
    const tested = await admin.post(`${company()}/connectors/${registered.body.id}/test-connection`);
    return { status: tested.status, result: tested.body.result, connector: tested.body.connector };
  }

  test('literal private addresses, in every spelling, are refused without a connection', async (t) => {
    const cases: Array<{ host: string; port: number; label: RegExp }> = [
      { host: '127.0.0.1', port: trap4.port, label: /loopback/ },
      { host: '2130706433', port: trap4.port, label: /loopback/ },
      { host: '0x7f000001', port: trap4.port, label: /loopback/ },
      { host: '0177.0.0.1', port: trap4.port, label: /loopback/ },
      { host: '127.1', port: trap4.port, label: /loopback/ },
      { host: '0x7f.0.0.1', port: trap4.port, label: /loopback/ },
      { host: '0.0.0.0', port: trap4.port, label: /unspecified/ },
      { host: '0', port: trap4.port, label: /unspecified/ },
      { host: '[::1]', port: trap6.port, label: /loopback/ },
      { host: '[0:0:0:0:0:0:0:1]', port: trap6.port, label: /loopback/ },
      { host: '[::]', port: trap6.port, label: /unspecified/ },
      { host: '[::ffff:127.0.0.1]', port: trap4.port, label: /loopback.*IPv4-mapped/ },
      { host: '[::ffff:7f00:1]', port: trap4.port, label: /loopback.*IPv4-mapped/ },
      { host: '10.0.0.1', port: 443, label: /private/ },
      { host: '172.16.5.4', port: 443, label: /private/ },
      { host: '192.168.1.1', port: 443, label: /private/ },
      { host: '169.254.169.254', port: 443, label: /metadata/ },
      { host: '2852039166', port: 443, label: /metadata/ },
      { host: '[fd00::1]', port: 443, label: /unique-local/ },
      { host: '[fe80::1]', port: 443, label: /link-local/ },
      { host: '100.64.0.1', port: 443, label: /carrier-grade NAT/ },
      { host: '[::ffff:a9fe:a9fe]', port: 443, label: /metadata/ },
      { host: '[64:ff9b::a9fe:a9fe]', port: 443, label: /metadata.*NAT64/ },
      { host: '[2002:a9fe:a9fe::1]', port: 443, label: /metadata.*6to4/ },
    ];
    for (const { host, port, label } of cases) {
      const { status, result, connector } = await testConnection(`https://${host}:${port}`);
      assert.equal(status, 200, host);
      assert.equal(result.ok, false, `${host}: ${JSON.stringify(result)}`);
      assert.equal(result.outcome, 'private_address', `${host}: ${result.message}`);
      assert.match(result.message, label, host);
      assert.equal(connector.verified, false);
    }
    assert.equal(trap4.connections() + trap6.connections(), 0, 'nothing connected to the loopback trap');
    t.diagnostic(`${cases.length} literal host spellings refused`);
  });

  test('DNS names resolving to private addresses are refused without a connection, a mix of public and private answers too', async (t) => {
    const answers: Record<string, LookupAnswer> = {
      'loopback.attacker.test': v4('127.0.0.1'),
      'loopback2.attacker.test': v4('127.53.0.9'),
      'ten.attacker.test': v4('10.20.30.40'),
      'metadata.attacker.test': v4('169.254.169.254'),
      'zero.attacker.test': v4('0.0.0.0'),
      'v6loop.attacker.test': v6('::1'),
      'ula.attacker.test': v6('fd12:3456::1'),
      'linklocal.attacker.test': v6('fe80::abcd'),
      'mapped.attacker.test': v6('::ffff:127.0.0.1'),
      'nat64.attacker.test': v6('64:ff9b::a9fe:a9fe'),
      'mixed.attacker.test': [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }],
      'mixed6.attacker.test': [{ address: '2606:4700::1111', family: 6 }, { address: '::1', family: 6 }],
    };
    const { lookups } = stubDns((name) => answers[name] ?? v4('127.0.0.1'));
    for (const [name, answer] of Object.entries(answers)) {
      const port = answer.some((a) => a.family === 6) ? trap6.port : trap4.port;
      const { result } = await testConnection(`https://${name}:${port}`);
      assert.equal(result.ok, false, name);
      assert.equal(result.outcome, 'private_address', `${name}: ${result.message}`);
      assert.match(result.message, new RegExp(`${name.replaceAll('.', '\\.')} resolves to`), name);
    }
    assert.ok(Object.keys(answers).every((name) => lookups.includes(name)), `every name was looked up: ${lookups.join(', ')}`);
    assert.equal(trap4.connections() + trap6.connections(), 0, 'nothing connected to the loopback trap');
    t.diagnostic(`${Object.keys(answers).length} DNS names refused`);
  });

  describe('callouts of a connector verified while its name pointed outside', () => {
    let connectorId: string;
    let requestId: string;
    let traveler: ApiClient;
    let answer: LookupAnswer;

    before(async () => {
      const registered = await admin.post(`${company()}/connectors`, { name: 'Rebound CRM', description: '', hostName: `https://crm.attacker.test:${trap4.port}`, userName: 'ssrf-user-name', password: 'ssrf-password' });
      assert.equal(registered.status, 201);
      connectorId = registered.body.id;
      // Verified back when the name resolved to a public address (the store is set directly: no public connector exists here).
      await server.patchbay.store.db.updateTable('connectors').set({ verified: true, verified_at: Date.now() }).where('id', '=', connectorId).execute();
      const requestAdmin = await signIn(server.url, await server.addUser(server.companyId, ['REQUEST_ADMIN']));
      assert.equal((await requestAdmin.put(`${company()}/attendee-types/BUSGUEST`, { name: 'Business guest', allowsManual: true })).status, 200);
      const services = `${company()}/connectors/${connectorId}/services`;
      assert.equal((await admin.put(`${services}/fetch-attendee`, { endpoint: '/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: ['BUSGUEST'] } })).status, 200);
      assert.equal((await admin.put(`${services}/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: 'Cities', category: 'Places', languageCode: 'en', connectedListLevel: null }] } })).status, 200);
      assert.equal((await requestAdmin.put(`${company()}/form-fields/custom4`, { label: 'City', kind: 'LIST', connectorId, listName: 'Cities' })).status, 200);
      const people = await travelerAndManager(server);
      traveler = await signIn(server.url, people.traveler);
      const created = await traveler.post(`${company()}/requests`, { name: 'Customer visit' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      requestId = created.body.id;
    });
    beforeEach(() => {
      stubDns(() => answer);
    });

    for (const [label, address] of [['the metadata address', v4('169.254.169.254')], ['loopback', v4('127.0.0.1')], ['IPv6 loopback', v6('::1')], ['a private address', v4('10.0.0.7')]] as const) {
      test(`Fetch Attendee and Fetch List are refused when the name resolves to ${label}`, async () => {
        answer = [...address];
        const search = await traveler.post(`${company()}/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST', lastName: 'Smith' });
        assert.equal(search.status, 502, JSON.stringify(search.body));
        assert.equal(search.body.error.code, 'connector_failed');
        // The traveler is told why without the address (the call log keeps it for the administrator).
        assert.match(search.body.error.message, /leads to an address patchbay may not call/);
        assert.doesNotMatch(search.body.error.message, /\d+\.\d+\.\d+\.\d+|::1/);
        const list = await traveler.post(`${company()}/requests/${requestId}/fields/custom4/search`, { query: 'Par*', parentCodes: [] });
        assert.equal(list.status, 502, JSON.stringify(list.body));
        assert.match(list.body.error.message, /leads to an address patchbay may not call/);
        assert.equal(trap4.connections() + trap6.connections(), 0);
      });
    }

    test('a verified connector whose Host Name is a literal private address is refused too, and the call log says why', async () => {
      answer = v4('127.0.0.1');
      for (const host of [`127.0.0.1:${trap4.port}`, `[::1]:${trap6.port}`, '169.254.169.254']) {
        await server.patchbay.store.db.updateTable('connectors').set({ host_name: `https://${host}`, verified: true }).where('id', '=', connectorId).execute();
        await operator.post(`${company()}/safe-list`, { host: new URL(`https://${host}`).hostname });
        const search = await traveler.post(`${company()}/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST', lastName: 'Smith' });
        assert.equal(search.status, 502, `${host}: ${JSON.stringify(search.body)}`);
        assert.match(search.body.error.message, /address/);
      }
      assert.equal(trap4.connections() + trap6.connections(), 0);
      const log = await admin.get(`${company()}/callouts?connectorId=${connectorId}`);
      assert.equal(log.status, 200);
      assert.ok(log.body.items.length >= 3 && log.body.items.every((call: any) => call.outcome === 'private_address'), JSON.stringify(log.body.items.map((call: any) => call.outcome)));
    });
  });
});

describe('DNS rebinding: the connection goes to exactly the address that was checked', () => {
  let server: TestServer;
  let connector: FakeConnector;
  let admin: ApiClient;

  before(async () => {
    const ca = await createDevCa();
    connector = await startFakeConnector({ tls: ca.issue(['rebind.attacker.test', 'rebind2.attacker.test']), userName: 'rebind-user-name', password: 'rebind-password' });
    // Loopback is allowed so that the checked address (127.0.0.1) can answer; 10.x stays forbidden.
    server = await startTestServer({ allowPrivateAddresses: 'loopback', extraCa: ca.caCert, outboundTimeoutMs: 2_000 });
    await server.addSafeHost('*.attacker.test');
    admin = await signIn(server.url, server.admin);
  });
  after(async () => {
    await server?.close();
    await connector?.close();
  });
  afterEach(() => mock.restoreAll());

  test('a name answering 127.0.0.1 and then 10.0.0.1 (every other lookup) is connected to at 127.0.0.1, with one lookup per connection', async () => {
    // A client that checked one answer and connected with another lookup would reach 10.0.0.1 (and fail here).
    const { lookups } = stubDns((_name, call) => (call % 2 === 1 ? v4('127.0.0.1') : v4('10.0.0.1')));
    const registered = await admin.post(`/api/companies/${server.companyId}/connectors`, { name: 'Rebinding', description: '', hostName: `https://rebind.attacker.test:${connector.port}`, userName: 'rebind-user-name', password: 'rebind-password' });
    assert.equal(registered.status, 201);
    const tested = await admin.post(`/api/companies/${server.companyId}/connectors/${registered.body.id}/test-connection`);
    assert.equal(tested.body.result.ok, true, JSON.stringify(tested.body.result));
    assert.equal(lookups.length, 1, `one lookup, whose answer was both checked and connected to: ${lookups.join(', ')}`);
    assert.equal(connector.connectionCount(), 1);
    assert.equal(connector.requests.filter((request) => request.path === '/system/v1.0/testconnection').length, 1);
  });

  test('a name answering 10.0.0.1 first is refused even though a later lookup would answer 127.0.0.1', async () => {
    const { lookups } = stubDns((_name, call) => (call % 2 === 1 ? v4('10.0.0.1') : v4('127.0.0.1')));
    const before = connector.connectionCount();
    const registered = await admin.post(`/api/companies/${server.companyId}/connectors`, { name: 'Rebinding 2', description: '', hostName: `https://rebind2.attacker.test:${connector.port}`, userName: 'rebind-user-name', password: 'rebind-password' });
    const tested = await admin.post(`/api/companies/${server.companyId}/connectors/${registered.body.id}/test-connection`);
    assert.equal(tested.body.result.outcome, 'private_address', JSON.stringify(tested.body.result));
    assert.match(tested.body.result.message, /10\.0\.0\.1/);
    assert.equal(lookups.length, 1);
    assert.equal(connector.connectionCount(), before, 'no new connection');
  });
});
