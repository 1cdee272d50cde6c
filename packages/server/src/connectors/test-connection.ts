// Concur's "Test Connection" for an application connector registration
// (spec: callouts.md §0 and §5). Passing it is what makes a connector Verified.

import type { OutboundClient, OutboundFailure } from './outbound-client.ts';

/** Outcome of a Test Connection: only 'verified' passes. */
export type TestConnectionOutcome = 'verified' | 'invalid_credentials' | 'redirect' | 'unexpected_status' | OutboundFailure;

/** What Test Connection reports to the administrator. */
export interface TestConnectionResult {
  /** True only for `verified`. */
  ok: boolean;
  /** Machine-readable outcome. */
  outcome: TestConnectionOutcome;
  /** A sentence the connector developer can act on. */
  message: string;
  /** HTTP status the connector answered with, or null if no response arrived. */
  httpStatus: number | null;
  /** How long the call took, in milliseconds. */
  durationMs: number;
}

/** The fixed path Concur probes on every connector host. */
export const TEST_CONNECTION_PATH = '/system/v1.0/testconnection';

/** Calls GET {hostName}/system/v1.0/testconnection with HTTP Basic credentials and judges the answer. */
export async function testConnection(
  client: OutboundClient,
  target: { hostName: string; userName: string; password: string; allowedHosts: readonly string[] },
): Promise<TestConnectionResult> {
  // Host Name is "https://host[:port]"; tolerate a trailing slash rather than produce "//system".
  const base = target.hostName.replace(/\/+$/, '');
  const url = `${base}${TEST_CONNECTION_PATH}`;
  const credentials = Buffer.from(`${target.userName}:${target.password}`, 'utf8').toString('base64');

  const result = await client.send({
    url,
    method: 'GET',
    headers: { authorization: `Basic ${credentials}` },
    allowedHosts: target.allowedHosts,
  });

  if (!result.ok) {
    return { ok: false, outcome: result.failure, message: result.message, httpStatus: null, durationMs: result.durationMs };
  }

  const { status, durationMs } = result;
  const report = (outcome: TestConnectionOutcome, message: string): TestConnectionResult => ({
    ok: outcome === 'verified',
    outcome,
    message,
    httpStatus: status,
    durationMs,
  });

  // Concur documents only "200 OK" as success; other 2xx codes are not accepted.
  if (status === 200) {
    return report('verified', `The connector at ${base} answered the test connection with HTTP 200; it is verified.`);
  }
  if (status === 401) {
    return report(
      'invalid_credentials',
      `The connector at ${base} rejected the user name or password (HTTP 401); make the registered credentials match the ones configured in the connector.`,
    );
  }
  if (status >= 300 && status < 400) {
    const location = result.headers['location'];
    const locationText = location === undefined ? 'no Location header' : `Location: ${location}`;
    return report(
      'redirect',
      `The connector at ${base} answered ${url} with a redirect (HTTP ${status}, ${locationText}); redirects are not followed, so serve ${TEST_CONNECTION_PATH} directly with HTTP 200.`,
    );
  }
  return report(
    'unexpected_status',
    `The connector at ${base} answered ${url} with HTTP ${status}; the test connection endpoint must return HTTP 200 for valid credentials.`,
  );
}
