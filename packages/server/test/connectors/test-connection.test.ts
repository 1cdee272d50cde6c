import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createOutboundClient } from '../../src/connectors/outbound-client.ts';
import type { OutboundClient } from '../../src/connectors/outbound-client.ts';
import { testConnection } from '../../src/connectors/test-connection.ts';
import { createDevCa, selfSigned, startFakeConnector, startHttpsServer } from '../support/tls-fixture.ts';
import type { DevCa, FakeConnector, TlsMaterial } from '../support/tls-fixture.ts';

const userName = 'connector-user';
const password = 'correct horse battery';

let ca: DevCa;
let cert: TlsMaterial;
let client: OutboundClient;
let connector: FakeConnector;

before(async () => {
  ca = await createDevCa();
  cert = ca.issue(['localhost', '127.0.0.1']);
  client = createOutboundClient({ extraCa: ca.caCert, privateAddresses: 'loopback', timeoutMs: 3000, maxResponseBytes: 64 * 1024 });
  connector = await startFakeConnector({ tls: cert, userName, password });
});

after(async () => {
  await client.close();
  await connector.close();
});

/** Runs `body` against a plain HTTPS server answering every request with `respond`. */
async function withServer(tls: TlsMaterial, respond: (res: ServerResponse) => void, body: (url: string, connections: () => number) => Promise<void>): Promise<void> {
  const server = await startHttpsServer(tls, (_req, res) => respond(res));
  try {
    await body(server.url, server.connectionCount);
  } finally {
    await server.close();
  }
}

describe('testConnection', () => {
  test('200 with the right credentials is verified', async () => {
    const before = connector.requests.length;
    const result = await testConnection(client, { hostName: connector.url, userName, password, allowedHosts: ['localhost'] });
    assert.equal(result.outcome, 'verified', result.message);
    assert.equal(result.ok, true);
    assert.equal(result.httpStatus, 200);
    assert.ok(result.durationMs >= 0);

    const seen = connector.requests.slice(before);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.path, '/system/v1.0/testconnection');
    assert.equal(seen[0]?.headers.authorization, `Basic ${Buffer.from(`${userName}:${password}`).toString('base64')}`);
  });

  test('a trailing slash on the host name does not double the slash', async () => {
    const before = connector.requests.length;
    const result = await testConnection(client, { hostName: `${connector.url}/`, userName, password, allowedHosts: ['localhost'] });
    assert.equal(result.outcome, 'verified', result.message);
    assert.equal(connector.requests[before]?.path, '/system/v1.0/testconnection');
  });

  test('401 for a wrong password is invalid_credentials', async () => {
    const result = await testConnection(client, { hostName: connector.url, userName, password: 'wrong password!', allowedHosts: ['localhost'] });
    assert.equal(result.ok, false);
    assert.equal(result.outcome, 'invalid_credentials');
    assert.equal(result.httpStatus, 401);
    assert.match(result.message, /rejected the user name or password/);
    assert.match(result.message, /localhost/);
  });

  test('401 for a wrong user name is invalid_credentials', async () => {
    const result = await testConnection(client, { hostName: connector.url, userName: 'someone-else', password, allowedHosts: ['localhost'] });
    assert.equal(result.outcome, 'invalid_credentials');
  });

  test('500 is unexpected_status naming the status', async () => {
    await withServer(
      cert,
      (res) => {
        res.writeHead(500, { 'content-length': '0' });
        res.end();
      },
      async (url) => {
        const result = await testConnection(client, { hostName: url, userName, password, allowedHosts: ['localhost'] });
        assert.equal(result.ok, false);
        assert.equal(result.outcome, 'unexpected_status');
        assert.equal(result.httpStatus, 500);
        assert.match(result.message, /HTTP 500/);
      },
    );
  });

  test('204 is not accepted: only 200 verifies', async () => {
    await withServer(
      cert,
      (res) => {
        res.writeHead(204);
        res.end();
      },
      async (url) => {
        const result = await testConnection(client, { hostName: url, userName, password, allowedHosts: ['localhost'] });
        assert.equal(result.outcome, 'unexpected_status');
        assert.equal(result.httpStatus, 204);
      },
    );
  });

  test('302 is a redirect that is not followed, and the message names the Location', async () => {
    await withServer(
      cert,
      (res) => {
        res.writeHead(302, { location: 'https://login.example.com/sso', 'content-length': '0' });
        res.end();
      },
      async (url) => {
        const result = await testConnection(client, { hostName: url, userName, password, allowedHosts: ['localhost'] });
        assert.equal(result.ok, false);
        assert.equal(result.outcome, 'redirect');
        assert.equal(result.httpStatus, 302);
        assert.match(result.message, /not followed/);
        assert.match(result.message, /https:\/\/login\.example\.com\/sso/);
      },
    );
  });

  test('a self-signed connector certificate fails with self_signed_certificate', async () => {
    const fake = await startFakeConnector({ tls: await selfSigned(['localhost', '127.0.0.1']), userName, password });
    try {
      const result = await testConnection(client, { hostName: fake.url, userName, password, allowedHosts: ['localhost'] });
      assert.equal(result.ok, false);
      assert.equal(result.outcome, 'self_signed_certificate');
      assert.equal(result.httpStatus, null);
      assert.match(result.message, /CA-signed certificate/);
      assert.equal(fake.requests.length, 0);
    } finally {
      await fake.close();
    }
  });

  test('a host that is not on the safe list is never called', async () => {
    await withServer(
      cert,
      (res) => res.end('OK'),
      async (url, connections) => {
        const result = await testConnection(client, { hostName: url, userName, password, allowedHosts: ['connector.example.com'] });
        assert.equal(result.ok, false);
        assert.equal(result.outcome, 'host_not_allowed');
        assert.equal(result.httpStatus, null);
        assert.match(result.message, /localhost/);
        assert.equal(connections(), 0);
      },
    );
  });

  test('an http:// host name is refused', async () => {
    const result = await testConnection(client, { hostName: 'http://localhost:1', userName, password, allowedHosts: ['localhost'] });
    assert.equal(result.outcome, 'not_https');
  });

  test('a private address is refused under policy "none"', async () => {
    const strict = createOutboundClient({ extraCa: ca.caCert, privateAddresses: 'none', timeoutMs: 3000, maxResponseBytes: 64 * 1024 });
    try {
      const before = connector.requests.length;
      const result = await testConnection(strict, { hostName: connector.url, userName, password, allowedHosts: ['localhost'] });
      assert.equal(result.outcome, 'private_address');
      assert.equal(connector.requests.length, before);
    } finally {
      await strict.close();
    }
  });
});
