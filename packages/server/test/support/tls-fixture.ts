// Test helpers for anything that talks HTTPS to a connector: throwaway
// certificates made with the openssl CLI, a loopback HTTPS server, and a fake
// Concur application connector.

import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A PEM certificate (chain) and its private key, as https.createServer takes them. */
export interface TlsMaterial {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (unencrypted). */
  key: string;
}

/** A throwaway certificate authority. */
export interface DevCa {
  /** The CA certificate in PEM, to pass as a client's extra trusted CA. */
  caCert: string;
  /** Issues a leaf certificate for the given DNS names / IP addresses, signed by this CA. */
  issue(hostnames: string[]): TlsMaterial;
}

// A private openssl config keeps the output independent of the system openssl.cnf.
// EC P-256 keys keep generation fast.
function opensslConfig(commonName: string, hostnames: readonly string[]): string {
  const alt = hostnames.map((name, i) => (isIP(name) !== 0 ? `IP.${i + 1} = ${name}` : `DNS.${i + 1} = ${name}`));
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${commonName}`,
    '[ca_ext]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    '[leaf_ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    ...(hostnames.length > 0 ? ['subjectAltName = @alt', '[alt]', ...alt] : []),
    '',
  ].join('\n');
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates a throwaway CA; `issue` signs leaf certificates with it (synchronously, so tests can call it inline). */
export async function createDevCa(): Promise<DevCa> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-ca-'));
  let caCert: string;
  let caKey: string;
  try {
    const config = join(dir, 'openssl.cnf');
    await writeFile(config, opensslConfig('Patchbay Test CA', []));
    await execFileAsync('openssl', [
      'req', '-x509', ...NEW_KEY, '-config', config, '-extensions', 'ca_ext',
      '-days', '2', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
    ]);
    caCert = await readFile(join(dir, 'ca.crt'), 'utf8');
    caKey = await readFile(join(dir, 'ca.key'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  return {
    caCert,
    issue(hostnames) {
      const leafDir = mkdtempSync(join(tmpdir(), 'patchbay-leaf-'));
      try {
        const path = (name: string): string => join(leafDir, name);
        writeFileSync(path('openssl.cnf'), opensslConfig(hostnames[0] ?? 'patchbay-test', hostnames));
        writeFileSync(path('ca.crt'), caCert);
        writeFileSync(path('ca.key'), caKey, { mode: 0o600 });
        execFileSync('openssl', ['req', '-new', ...NEW_KEY, '-config', path('openssl.cnf'), '-keyout', path('leaf.key'), '-out', path('leaf.csr')], { stdio: 'pipe' });
        execFileSync('openssl', [
          'x509', '-req', '-in', path('leaf.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'),
          '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2',
          '-extfile', path('openssl.cnf'), '-extensions', 'leaf_ext', '-out', path('leaf.crt'),
        ], { stdio: 'pipe' });
        return { cert: readFileSync(path('leaf.crt'), 'utf8'), key: readFileSync(path('leaf.key'), 'utf8') };
      } finally {
        rmSync(leafDir, { recursive: true, force: true });
      }
    },
  };
}

/** Makes a self-signed leaf certificate for the given DNS names / IP addresses (what Concur refuses). */
export async function selfSigned(hostnames: string[]): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-self-'));
  try {
    const config = join(dir, 'openssl.cnf');
    await writeFile(config, opensslConfig(hostnames[0] ?? 'patchbay-test', hostnames));
    await execFileAsync('openssl', [
      'req', '-x509', ...NEW_KEY, '-config', config, '-extensions', 'leaf_ext',
      '-days', '2', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.crt'),
    ]);
    return { cert: await readFile(join(dir, 'leaf.crt'), 'utf8'), key: await readFile(join(dir, 'leaf.key'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A running loopback HTTPS server. */
export interface RunningServer {
  /** Base URL, https://localhost:PORT (no trailing slash). */
  url: string;
  /** The listening port on 127.0.0.1. */
  port: number;
  /** How many TCP connections the server has accepted (0 proves nothing connected). */
  connectionCount(): number;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1, port 0; certificates should cover DNS:localhost and IP:127.0.0.1. */
export async function startHttpsServer(
  tls: TlsMaterial,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RunningServer> {
  const server = createServer({ cert: tls.cert, key: tls.key }, handler);
  let connections = 0;
  const sockets = new Set<Socket>();
  // Count raw TCP connections (not TLS sessions) so tests can prove that a
  // refused call never reached the network.
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Handshake failures (e.g. a client rejecting our certificate) are expected in tests.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    port,
    connectionCount: () => connections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // closeAllConnections only covers HTTP-tracked sockets; destroy the
        // raw ones too so half-open TLS handshakes cannot keep the test alive.
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A request the fake connector received. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path and query string. */
  path: string;
  /** Request headers (lower-case names). */
  headers: IncomingMessage['headers'];
  /** Request body. */
  body: Buffer;
}

/** Configuration of the fake connector. */
export interface FakeConnectorOptions {
  /** Certificate and key the connector serves. */
  tls: TlsMaterial;
  /** The user name the connector accepts. */
  userName: string;
  /** The password the connector accepts. */
  password: string;
  /**
   * Answers any request other than the test connection (callout endpoints).
   * Called only after the Basic credentials were accepted. Without it, 404.
   */
  route?: (req: RecordedRequest, res: ServerResponse) => void;
}

/** A running fake connector. */
export interface FakeConnector extends RunningServer {
  /** Every request received, in order. */
  requests: RecordedRequest[];
}

/** Starts a fake Concur application connector protected by HTTP Basic authentication. */
export async function startFakeConnector(options: FakeConnectorOptions): Promise<FakeConnector> {
  const requests: RecordedRequest[] = [];
  const expected = basicDigest(options.userName, options.password);

  const server = await startHttpsServer(options.tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);

      const presented = parseBasic(req.headers.authorization);
      // Compare fixed-length digests so neither content nor length leaks through timing.
      const authorised = presented !== null && timingSafeEqual(basicDigest(presented.userName, presented.password), expected);
      if (!authorised) {
        send(res, 401, 'Unauthorized', { 'www-authenticate': 'Basic realm="connector"' });
        return;
      }
      if (recorded.path === '/system/v1.0/testconnection') {
        if (recorded.method === 'GET') send(res, 200, 'OK');
        else send(res, 405, 'Method Not Allowed', { allow: 'GET' });
        return;
      }
      if (options.route) options.route(recorded, res);
      else send(res, 404, 'Not Found');
    });
  });
  return { ...server, requests };
}

function basicDigest(userName: string, password: string): Buffer {
  return createHash('sha256').update(`${userName}\0${password}`, 'utf8').digest();
}

function parseBasic(header: string | undefined): { userName: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { userName: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// Content-Length, never chunked: that is what Concur expects of connectors.
function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), ...headers });
  res.end(body);
}
