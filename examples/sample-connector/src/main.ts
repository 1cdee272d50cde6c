/**
 * The standalone sample connector: a thin shell over `createSampleConnector` and `ensureDevCertificates`.
 *
 *   node examples/sample-connector/src/main.ts --demo
 *   node examples/sample-connector/src/main.ts --port 8444 --patchbay-url https://localhost:8443 \
 *     --client-id … --client-secret … --redirect-uri … --user-name … --password …
 *
 * Every flag has a `SAMPLE_CONNECTOR_*` variable (`--help` lists them). Without --cert-file/--key-file it
 * makes (once) a development CA and a localhost certificate in --certs-dir and serves that certificate.
 * Logs are JSON lines on standard output; SIGINT/SIGTERM stop it gracefully.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, helpText, loadConfig, wantsHelp } from './config.ts';
import type { Config } from './config.ts';
import { ensureDevCertificates } from './dev-certificates.ts';
import { createSampleConnector } from './sample-connector.ts';
import type { SampleConnectorLogEntry } from './sample-connector.ts';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string, code: number): never {
  process.stderr.write(`sample-connector: ${message}\n`);
  process.exit(code);
}

/** One JSON line per entry; an error is reduced to its name and message (never its stack or a token). */
function logLine(entry: SampleConnectorLogEntry): void {
  const { error, ...rest } = entry;
  const described = error === undefined ? {} : { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  print(JSON.stringify({ time: new Date().toISOString(), ...rest, ...described }));
}

async function tlsMaterial(config: Config): Promise<{ cert: string; key: string; caCertPath?: string }> {
  if (config.certFile !== null && config.keyFile !== null) {
    return { cert: await readFile(config.certFile, 'utf8'), key: await readFile(config.keyFile, 'utf8') };
  }
  const dev = await ensureDevCertificates(config.certsDir, config.hostnames);
  return { cert: dev.cert, key: dev.key, caCertPath: dev.caCertPath };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    print(helpText());
    return;
  }
  let config: Config;
  try {
    config = loadConfig(argv, process.env, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  const tls = await tlsMaterial(config);
  const sample = createSampleConnector({
    credentials: { userName: config.userName, password: config.password },
    tls: { cert: tls.cert, key: tls.key },
    patchbay: {
      baseUrl: config.patchbayUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: config.redirectUri,
      ...(config.companyId !== null && config.companyRequestToken !== null ? { companyId: config.companyId, companyRequestToken: config.companyRequestToken } : {}),
    },
    budgetLimit: config.budgetLimit,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    log: logLine,
  });
  const address = await sample.listen(config.port, config.host);
  const hostName = config.hostnames.find((name) => name === 'localhost') ?? config.hostnames[0] ?? 'localhost';
  const url = `https://${hostName.includes(':') ? `[${hostName}]` : hostName}:${address.port}`;
  const paths = sample.connector.paths;
  print(`Sample connector listening on ${url} (bound to ${address.address}), calling patchbay at ${config.patchbayUrl}`);
  print(`  Host Name ${url}, User Name ${config.userName}`);
  print(`  Fetch Attendee ${paths.fetchAttendee}  Fetch List ${paths.fetchList}  Notification ${paths.notification}  Launch External URL ${paths.launchExternalUrl}`);
  if (tls.caCertPath !== undefined) print(`  Development CA: ${tls.caCertPath} (start patchbay with --extra-ca-file ${tls.caCertPath} to trust it)`);
  if (config.companyId === null) print('  No Company Request Token: notifications are recorded as failed until one is given (--company-id, --company-request-token).');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    print(`Received ${signal}: finishing running validations (at most ${config.shutdownTimeoutMs} ms)`);
    // The watchdog: exit even if closing hangs (a client holding a connection open, say).
    const watchdog = setTimeout(() => fail('shutdown took too long; exiting anyway', 1), config.shutdownTimeoutMs + 5_000);
    watchdog.unref();
    sample.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
