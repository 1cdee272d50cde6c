/**
 * Development TLS material for running the sample connector over HTTPS on one's own machine: a development
 * certificate authority and a certificate for localhost signed by it, made once with the `openssl` CLI and
 * reused afterwards. Concur (and patchbay) refuse self-signed certificates, so the CA is what patchbay is told
 * to trust (`--extra-ca-file`); the CA survives a renewal of the leaf certificate, so it is trusted once.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The files in the directory. */
export const DEV_CERTIFICATE_FILES = Object.freeze({
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'localhost.crt',
  key: 'localhost.key',
} as const);

/** The names a certificate is made for when none are given. */
export const DEFAULT_DEV_HOSTNAMES: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '::1']);

/** The development CA lasts ten years: trusting it is the one manual step, so it should not need repeating. */
const CA_DAYS = 3650;
/** The leaf lasts a year (browsers refuse leaves valid for more than 398 days); it is renewed automatically. */
const LEAF_DAYS = 365;
/** A certificate expiring within this margin is renewed now rather than failing mid-session. */
const RENEW_MARGIN_MS = 7 * 24 * 3_600_000;

/** What `ensureDevCertificates` answers: PEM text, and where the CA certificate is (for `--extra-ca-file`). */
export interface DevCertificates {
  /** The development CA's certificate (PEM): what clients trust. */
  caCert: string;
  /** Its path, e.g. for patchbay's `--extra-ca-file`. */
  caCertPath: string;
  /** The leaf certificate (PEM) for the host names, signed by the CA. */
  cert: string;
  /** The leaf's private key (PEM). */
  key: string;
  certPath: string;
  keyPath: string;
}

/** openssl is not installed, or failed. */
export class DevCertificateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DevCertificateError';
  }
}

// A private openssl config keeps the output independent of the system openssl.cnf. EC P-256 keys are quick to
// make and accepted everywhere TLS 1.2+ is.
function opensslConfig(commonName: string, hostnames: readonly string[]): string {
  const alt = hostnames.map((name, i) => (isIP(name) !== 0 ? `IP.${i + 1} = ${name}` : `DNS.${i + 1} = ${name}`));
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${commonName}`,
    'O = patchbay sample connector (development only)',
    '[ca_ext]',
    'basicConstraints = critical,CA:TRUE,pathlen:0',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    '[leaf_ext]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid,issuer',
    ...(hostnames.length > 0 ? ['subjectAltName = @alt', '[alt]', ...alt] : []),
    '',
  ].join('\n');
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const HOSTNAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function checkHostnames(hostnames: readonly string[]): string[] {
  if (!Array.isArray(hostnames) || hostnames.length === 0) throw new TypeError('ensureDevCertificates: give at least one host name or IP address');
  for (const name of hostnames) {
    // Names go into an openssl config file: anything but a host name or an IP address is refused.
    if (typeof name !== 'string' || (isIP(name) === 0 && !HOSTNAME.test(name))) {
      throw new TypeError(`ensureDevCertificates: ${JSON.stringify(name)} is not a host name or an IP address`);
    }
  }
  return [...new Set(hostnames)];
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 60_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DevCertificateError(
        'ensureDevCertificates needs the openssl command-line tool, and it is not on the PATH. Install OpenSSL (e.g. apt-get install openssl, brew install openssl) or give your own certificate and key.',
        { cause: error },
      );
    }
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new DevCertificateError(`openssl ${args[0] ?? ''} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseCertificate(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Valid now, and for at least the renewal margin. */
function current(certificate: X509Certificate, now: number): boolean {
  return certificate.validFromDate.getTime() <= now && certificate.validToDate.getTime() - RENEW_MARGIN_MS > now;
}

function keyMatches(certificate: X509Certificate, pem: string | undefined): boolean {
  if (pem === undefined) return false;
  try {
    return certificate.checkPrivateKey(createPrivateKey(pem));
  } catch {
    return false;
  }
}

function covers(leaf: X509Certificate, hostnames: readonly string[]): boolean {
  return hostnames.every((name) => (isIP(name) !== 0 ? leaf.checkIP(name) !== undefined : leaf.checkHost(name) !== undefined));
}

/** Writes `content` next to `path`, then renames it into place (readers never see half a file). */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/**
 * Makes sure `dir` holds a development CA and a certificate for `hostnames` (default localhost, 127.0.0.1
 * and ::1) signed by it, and answers them. Files that are present, parse, are valid for at least another
 * week, match their keys and (for the leaf) are signed by the stored CA and cover the host names are reused;
 * otherwise the leaf, or the CA and the leaf, are made anew with `openssl`. Key files get mode 0600 (and the
 * directory 0700 when it is created). Throws `DevCertificateError` when openssl is missing or fails.
 */
export async function ensureDevCertificates(dir: string, hostnames: readonly string[] = DEFAULT_DEV_HOSTNAMES): Promise<DevCertificates> {
  const names = checkHostnames(hostnames);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = {
    caCert: join(dir, DEV_CERTIFICATE_FILES.caCert),
    caKey: join(dir, DEV_CERTIFICATE_FILES.caKey),
    cert: join(dir, DEV_CERTIFICATE_FILES.cert),
    key: join(dir, DEV_CERTIFICATE_FILES.key),
  };
  const now = Date.now();
  let caCert = await readIfPresent(paths.caCert);
  let caKey = await readIfPresent(paths.caKey);
  let cert = await readIfPresent(paths.cert);
  let key = await readIfPresent(paths.key);

  const ca = parseCertificate(caCert);
  const caUsable = ca !== undefined && ca.ca && current(ca, now) && keyMatches(ca, caKey);
  const leaf = parseCertificate(cert);
  const leafUsable =
    caUsable && leaf !== undefined && !leaf.ca && current(leaf, now) && leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && keyMatches(leaf, key) && covers(leaf, names);
  if (caUsable && leafUsable && caCert !== undefined && cert !== undefined && key !== undefined) {
    return { caCert, caCertPath: paths.caCert, cert, key, certPath: paths.cert, keyPath: paths.key };
  }

  // Work in a private directory inside `dir` (same file system, so the results can be renamed into place).
  const work = await mkdtemp(join(dir, '.work-'));
  try {
    const path = (name: string): string => join(work, name);
    if (!caUsable || caCert === undefined || caKey === undefined) {
      await writeFile(path('ca.cnf'), opensslConfig('patchbay sample connector development CA', []));
      await openssl(['req', '-x509', ...NEW_KEY, '-config', path('ca.cnf'), '-extensions', 'ca_ext', '-days', String(CA_DAYS), '-keyout', path('ca.key'), '-out', path('ca.crt')]);
      caCert = await readFile(path('ca.crt'), 'utf8');
      caKey = await readFile(path('ca.key'), 'utf8');
      // The key first: a reader that sees the new certificate also finds its key.
      await writeAtomically(paths.caKey, caKey, 0o600);
      await writeAtomically(paths.caCert, caCert, 0o644);
    } else {
      await writeFile(path('ca.crt'), caCert);
      await writeFile(path('ca.key'), caKey, { mode: 0o600 });
    }
    await writeFile(path('leaf.cnf'), opensslConfig(names[0] ?? 'localhost', names));
    await openssl(['req', '-new', ...NEW_KEY, '-config', path('leaf.cnf'), '-keyout', path('leaf.key'), '-out', path('leaf.csr')]);
    await openssl([
      'x509', '-req', '-in', path('leaf.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'),
      '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', String(LEAF_DAYS),
      '-extfile', path('leaf.cnf'), '-extensions', 'leaf_ext', '-out', path('leaf.crt'),
    ]);
    cert = await readFile(path('leaf.crt'), 'utf8');
    key = await readFile(path('leaf.key'), 'utf8');
    await writeAtomically(paths.key, key, 0o600);
    await writeAtomically(paths.cert, cert, 0o644);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { caCert, caCertPath: paths.caCert, cert, key, certPath: paths.cert, keyPath: paths.key };
}
