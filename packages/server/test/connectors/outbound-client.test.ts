import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { before, describe, test } from 'node:test';
import { createOutboundClient } from '../../src/connectors/outbound-client.ts';
import type { OutboundClient, OutboundClientOptions, OutboundResult } from '../../src/connectors/outbound-client.ts';
import { createDevCa, selfSigned, startHttpsServer } from '../support/tls-fixture.ts';
import type { DevCa, RunningServer, TlsMaterial } from '../support/tls-fixture.ts';

let ca: DevCa;
let localhostCert: TlsMaterial;

before(async () => {
  ca = await createDevCa();
  localhostCert = ca.issue(['localhost', '127.0.0.1']);
});

/** Runs `body` with a client and closes it afterwards, whatever happens. */
async function withClient<T>(overrides: Partial<OutboundClientOptions>, body: (client: OutboundClient) => Promise<T>): Promise<T> {
  const client = createOutboundClient({ extraCa: ca.caCert, privateAddresses: 'loopback', timeoutMs: 3000, maxResponseBytes: 64 * 1024, ...overrides });
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

async function withServer<T>(tls: TlsMaterial, handler: Parameters<typeof startHttpsServer>[1], body: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startHttpsServer(tls, handler);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

function assertFailure(result: OutboundResult, failure: string, messagePattern?: RegExp): string {
  assert.equal(result.ok, false, `expected failure ${failure}, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.failure, failure, result.message);
  if (messagePattern) assert.match(result.message, messagePattern);
  assert.ok(result.durationMs >= 0);
  return result.message;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

const hello = (_req: unknown, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
  res.end('hello');
};

describe('outbound client: successful calls', () => {
  test('GET returns status, headers and body', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({}, async (client) => {
        const result = await client.send({ url: `${server.url}/ping`, method: 'GET', allowedHosts: ['localhost'] });
        assert.equal(result.ok, true);
        if (!result.ok) return;
        assert.equal(result.status, 200);
        assert.equal(result.headers['content-type'], 'text/plain');
        assert.equal(result.body.toString(), 'hello');
      }),
    );
  });

  test('POST sends the body with Content-Length, never chunked', async () => {
    const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
    await withServer(
      localhostCert,
      (req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          seen.push({ headers: req.headers, body });
          res.end('ok');
        });
      },
      (server) =>
        withClient({}, async (client) => {
          const payload = '<AttendeeSearchRequest/>';
          const result = await client.send({
            url: `${server.url}/attendee/v1.0/find`,
            method: 'POST',
            headers: { 'content-type': 'application/xml; charset=utf-8' },
            body: payload,
            allowedHosts: ['localhost'],
          });
          assert.equal(result.ok, true);
          assert.equal(seen.length, 1);
          assert.equal(seen[0]?.body, payload);
          assert.equal(seen[0]?.headers['content-length'], String(Buffer.byteLength(payload)));
          assert.equal(seen[0]?.headers['transfer-encoding'], undefined);
        }),
      );
  });

  test('keeps the connection alive between calls to the same origin', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({}, async (client) => {
        for (let i = 0; i < 6; i++) {
          const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
          assert.equal(result.ok, true);
        }
        // undici's pool opens a second socket for a call made straight after
        // the very first one (the first client has not emitted 'drain' yet);
        // from then on the sockets are reused.
        assert.ok(server.connectionCount() <= 2, `expected reuse, saw ${server.connectionCount()} connections for 6 calls`);
      }),
    );
  });

  test('a 302 is returned as a normal response and not followed', async () => {
    const paths: string[] = [];
    await withServer(
      localhostCert,
      (req, res) => {
        paths.push(req.url ?? '');
        res.writeHead(302, { location: '/elsewhere', 'content-length': '0' });
        res.end();
      },
      (server) =>
        withClient({}, async (client) => {
          const result = await client.send({ url: `${server.url}/start`, method: 'GET', allowedHosts: ['localhost'] });
          assert.equal(result.ok, true);
          if (!result.ok) return;
          assert.equal(result.status, 302);
          assert.equal(result.headers['location'], '/elsewhere');
          assert.deepEqual(paths, ['/start']);
        }),
    );
  });

  test('a 500 is returned as a normal response', async () => {
    await withServer(
      localhostCert,
      (_req, res) => {
        res.writeHead(500, { 'content-length': '4' });
        res.end('boom');
      },
      (server) =>
        withClient({}, async (client) => {
          const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
          assert.equal(result.ok, true);
          if (result.ok) assert.equal(result.status, 500);
        }),
    );
  });
});

describe('outbound client: refused before any connection', () => {
  test('http:// is refused', async () => {
    await withClient({}, async (client) => {
      const result = await client.send({ url: 'http://localhost:1/', method: 'GET', allowedHosts: ['localhost'] });
      assertFailure(result, 'not_https', /localhost:1.*https:\/\//);
    });
  });

  test('a malformed URL is refused as not_https', async () => {
    await withClient({}, async (client) => {
      assertFailure(await client.send({ url: 'not a url', method: 'GET', allowedHosts: [] }), 'not_https');
    });
  });

  test('a host that is not on the safe list is never contacted', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({}, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['connector.example.com'] });
        assertFailure(result, 'host_not_allowed', /localhost .*safe list/);
        assert.equal(server.connectionCount(), 0);
      }),
    );
  });

  test('safe-list entries are case-insensitive', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({}, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['LocalHost'] });
        assert.equal(result.ok, true);
      }),
    );
  });

  test('wildcard entries match sub-domains of any depth, but not the apex or look-alikes', async () => {
    await withClient({}, async (client) => {
      const allowedHosts = ['*.nonexistent.invalid'];
      // Passing the safe list is proven by reaching DNS (which then fails).
      for (const host of ['a.nonexistent.invalid', 'a.b.NONEXISTENT.invalid']) {
        assertFailure(await client.send({ url: `https://${host}/`, method: 'GET', allowedHosts }), 'dns_failure', /nonexistent\.invalid/i);
      }
      // International names are compared in their punycode form, as the URL parser spells them.
      assertFailure(await client.send({ url: 'https://bücher.invalid/', method: 'GET', allowedHosts: ['BÜCHER.invalid'] }), 'dns_failure', /xn--bcher-kva\.invalid/);
      for (const host of ['nonexistent.invalid', 'evilnonexistent.invalid', 'nonexistent.invalid.evil.test']) {
        assertFailure(await client.send({ url: `https://${host}/`, method: 'GET', allowedHosts }), 'host_not_allowed');
      }
    });
  });

  test('literal private IP addresses are refused under policy "none"', async () => {
    await withClient({ privateAddresses: 'none' }, async (client) => {
      const cases: [string, RegExp][] = [
        ['10.0.0.1', /10\.0\.0\.1 is a private/],
        ['169.254.169.254', /metadata/],
        ['[::1]', /::1 is a loopback/],
        ['127.0.0.1', /loopback/],
        ['100.64.1.1', /carrier-grade NAT/],
        ['[fd00::1]', /unique-local/],
        ['[fe80::1]', /link-local/],
        ['0.0.0.0', /unspecified/],
        ['224.0.0.1', /multicast/],
        ['[::ffff:127.0.0.1]', /loopback.*IPv4-mapped 127\.0\.0\.1/],
        ['[::ffff:a9fe:a9fe]', /metadata.*IPv4-mapped 169\.254\.169\.254/],
        ['[64:ff9b::10.1.2.3]', /private.*NAT64/],
      ];
      for (const [host, pattern] of cases) {
        const result = await client.send({ url: `https://${host}/`, method: 'GET', allowedHosts: [host] });
        assertFailure(result, 'private_address', pattern);
      }
    });
  });

  test('policy "loopback" still refuses non-loopback private addresses', async () => {
    await withClient({ privateAddresses: 'loopback' }, async (client) => {
      for (const host of ['10.0.0.1', '169.254.169.254', '192.168.1.1', '172.16.0.1']) {
        assertFailure(await client.send({ url: `https://${host}/`, method: 'GET', allowedHosts: [host] }), 'private_address');
      }
    });
  });

  test('a safe-listed name that resolves to a private address is refused without connecting', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({ privateAddresses: 'none' }, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'private_address', /localhost resolves to 127\.0\.0\.1, a loopback address/);
        assert.equal(server.connectionCount(), 0);
      }),
    );
  });
});

describe('outbound client: private address policy', () => {
  test('"loopback" allows localhost and 127.0.0.1', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({ privateAddresses: 'loopback' }, async (client) => {
        for (const url of [server.url, `https://127.0.0.1:${server.port}`]) {
          const result = await client.send({ url: `${url}/`, method: 'GET', allowedHosts: ['localhost', '127.0.0.1'] });
          assert.equal(result.ok, true, JSON.stringify(result));
        }
      }),
    );
  });

  test('"all" allows loopback too', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({ privateAddresses: 'all' }, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
        assert.equal(result.ok, true, JSON.stringify(result));
      }),
    );
  });
});

describe('outbound client: TLS', () => {
  test('a self-signed certificate is refused with a clear message', async () => {
    await withServer(await selfSigned(['localhost', '127.0.0.1']), hello, (server) =>
      withClient({}, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'self_signed_certificate', /localhost:\d+ .*self-signed.*CA-signed certificate/);
      }),
    );
  });

  test('a certificate from an unknown CA is refused when extraCa is not set', async () => {
    await withServer(localhostCert, hello, (server) =>
      withClient({ extraCa: undefined }, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'tls_failure', /localhost:\d+ .*unknown certificate authority/);
      }),
    );
  });

  test('a certificate for another host name is refused', async () => {
    await withServer(ca.issue(['connector.example.com']), hello, (server) =>
      withClient({}, async (client) => {
        const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'tls_failure', /does not cover the host name localhost/);
      }),
    );
  });

  test('a server that only speaks TLS 1.1 or lower is refused', async () => {
    // OpenSSL 3 refuses TLS < 1.2 at its default security level, so this
    // pins the server to exactly TLS 1.1 and expects a handshake failure.
    const server = createHttpsServer({ ...localhostCert, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, hello);
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      await withClient({}, async (client) => {
        const result = await client.send({ url: `https://localhost:${address.port}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'tls_failure', /localhost:\d+ failed: the connector does not support TLS 1\.2 or higher/);
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a port that serves plain HTTP is a tls_failure saying so', async () => {
    const server = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      await withClient({}, async (client) => {
        const result = await client.send({ url: `https://localhost:${address.port}/`, method: 'GET', allowedHosts: ['localhost'] });
        assertFailure(result, 'tls_failure', /did not answer with TLS/);
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('outbound client: network failures', () => {
  test('an unresolvable name is a dns_failure', async () => {
    await withClient({}, async (client) => {
      const result = await client.send({ url: 'https://nonexistent.invalid/', method: 'GET', allowedHosts: ['nonexistent.invalid'] });
      assertFailure(result, 'dns_failure', /nonexistent\.invalid/);
    });
  });

  test('a closed port is connection_refused', async () => {
    const port = await closedPort();
    await withClient({}, async (client) => {
      const result = await client.send({ url: `https://localhost:${port}/`, method: 'GET', allowedHosts: ['localhost'] });
      assertFailure(result, 'connection_refused', new RegExp(`localhost:${port} refused`));
    });
  });

  test('a server that never answers hits the deadline', async () => {
    await withServer(
      localhostCert,
      () => {
        /* never respond */
      },
      (server) =>
        withClient({ timeoutMs: 300 }, async (client) => {
          const started = Date.now();
          const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
          assertFailure(result, 'timeout', /localhost:\d+ did not send a complete response within 300 ms/);
          assert.ok(Date.now() - started < 2000, 'the deadline is enforced promptly');
        }),
    );
  });

  test('a server that stalls in the middle of the body hits the deadline', async () => {
    await withServer(
      localhostCert,
      (_req, res) => {
        res.writeHead(200, { 'content-length': '10' });
        res.write('12345'); // and never the rest
      },
      (server) =>
        withClient({ timeoutMs: 300 }, async (client) => {
          assertFailure(await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] }), 'timeout');
        }),
    );
  });

  test('a server that drops the connection is connection_reset', async () => {
    await withServer(
      localhostCert,
      (req) => {
        req.socket.destroy();
      },
      (server) =>
        withClient({}, async (client) => {
          assertFailure(await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] }), 'connection_reset', /localhost:\d+ closed the connection/);
        }),
    );
  });

  test('a body over the cap is response_too_large (declared length)', async () => {
    await withServer(
      localhostCert,
      (_req, res) => {
        const body = Buffer.alloc(2048, 'x');
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
      },
      (server) =>
        withClient({ maxResponseBytes: 1024 }, async (client) => {
          const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
          assertFailure(result, 'response_too_large', /localhost:\d+ is larger than the 1024-byte limit/);
        }),
    );
  });

  test('a body over the cap is response_too_large (chunked, no declared length)', async () => {
    await withServer(
      localhostCert,
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        // Many chunks: the client must stop reading once the cap is passed.
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(512, 'x'));
        res.end();
      },
      (server) =>
        withClient({ maxResponseBytes: 1024 }, async (client) => {
          assertFailure(await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] }), 'response_too_large');
        }),
    );
  });

  test('a body exactly at the cap is accepted', async () => {
    await withServer(
      localhostCert,
      (_req, res) => {
        res.writeHead(200, { 'content-length': '1024' });
        res.end(Buffer.alloc(1024, 'x'));
      },
      (server) =>
        withClient({ maxResponseBytes: 1024 }, async (client) => {
          const result = await client.send({ url: `${server.url}/`, method: 'GET', allowedHosts: ['localhost'] });
          assert.equal(result.ok, true);
          if (result.ok) assert.equal(result.body.length, 1024);
        }),
    );
  });
});

