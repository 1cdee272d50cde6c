/**
 * The sample connector (`examples/sample-connector`, `createSampleConnector`) in its own process for
 * benchmarks, started with `startNodeChild`: HTTPS on 127.0.0.1 (port 0) with a development CA and a
 * certificate for localhost and 127.0.0.1 made in BENCH_CERT_DIR. Reports `{ url, caCertPath, caCert }`
 * when listening; `handshakes()` counts the TLS handshakes so far; `stop` closes it. The connector never calls patchbay here (no company token): only its
 * callouts are used, so its patchbay options are placeholders.
 *
 * Environment: BENCH_CERT_DIR (required: where the CA and certificate are made, or reused),
 * BENCH_CONNECTOR_USER and BENCH_CONNECTOR_PASSWORD (its registered credentials, 10 to 50 characters).
 */
import { createSampleConnector, ensureDevCertificates } from '@patchbay/sample-connector';
import { serveParent } from './child-process.ts';

/** What the connector process reports when it listens. */
export interface SampleConnectorReady {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The development CA's certificate (PEM) and its file, for patchbay's PATCHBAY_EXTRA_CA_FILE. */
  caCert: string;
  caCertPath: string;
}

if (import.meta.main) {
  const dir = process.env.BENCH_CERT_DIR;
  const userName = process.env.BENCH_CONNECTOR_USER;
  const password = process.env.BENCH_CONNECTOR_PASSWORD;
  if (!dir || !userName || !password) throw new Error('BENCH_CERT_DIR, BENCH_CONNECTOR_USER and BENCH_CONNECTOR_PASSWORD are required');
  const certificates = await ensureDevCertificates(dir);
  const sample = createSampleConnector({
    credentials: { userName, password },
    tls: { cert: certificates.cert, key: certificates.key },
    // Placeholders: only the Launch External URL picker and the notification worker call patchbay.
    patchbay: { baseUrl: 'http://127.0.0.1:9', clientId: 'bench', clientSecret: 'bench', redirectUri: 'https://localhost/bench' },
  });
  const address = await sample.listen(0, '127.0.0.1');
  // TLS handshakes so far: with keep-alive, a measurement should add about one per connection.
  let handshakes = 0;
  sample.connector.server.on('secureConnection', () => handshakes++);
  serveParent(
    { stop: () => sample.close(), handshakes: () => handshakes },
    { url: `https://127.0.0.1:${address.port}`, caCert: certificates.caCert, caCertPath: certificates.caCertPath } satisfies SampleConnectorReady,
  );
}
