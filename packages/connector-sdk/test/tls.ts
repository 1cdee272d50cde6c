// Throwaway TLS material for the tests, made with the openssl CLI: a CA and a leaf certificate for localhost and
// 127.0.0.1 signed by it (the lines needed from packages/server/test/support/tls-fixture.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A CA certificate, and a leaf certificate and key it signed. */
export interface TestTls {
  caCert: string;
  cert: string;
  key: string;
}

// A private openssl config keeps the output independent of the system openssl.cnf. EC P-256 keys are fast.
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

/** Creates a throwaway CA and a leaf certificate for `hostnames` (default localhost and 127.0.0.1). */
export async function createTestTls(hostnames: readonly string[] = ['localhost', '127.0.0.1']): Promise<TestTls> {
  const dir = await mkdtemp(join(tmpdir(), 'connector-sdk-tls-'));
  const path = (name: string): string => join(dir, name);
  try {
    await writeFile(path('ca.cnf'), opensslConfig('Connector SDK Test CA', []));
    await writeFile(path('leaf.cnf'), opensslConfig(hostnames[0] ?? 'localhost', hostnames));
    await execFileAsync('openssl', [
      'req', '-x509', ...NEW_KEY, '-config', path('ca.cnf'), '-extensions', 'ca_ext',
      '-days', '2', '-keyout', path('ca.key'), '-out', path('ca.crt'),
    ]);
    await execFileAsync('openssl', ['req', '-new', ...NEW_KEY, '-config', path('leaf.cnf'), '-keyout', path('leaf.key'), '-out', path('leaf.csr')]);
    await execFileAsync('openssl', [
      'x509', '-req', '-in', path('leaf.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'),
      '-set_serial', '0x5eed', '-days', '2', '-extfile', path('leaf.cnf'), '-extensions', 'leaf_ext', '-out', path('leaf.crt'),
    ]);
    return {
      caCert: await readFile(path('ca.crt'), 'utf8'),
      cert: await readFile(path('leaf.crt'), 'utf8'),
      key: await readFile(path('leaf.key'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
