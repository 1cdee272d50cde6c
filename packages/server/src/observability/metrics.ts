/** Prometheus metrics at /metrics: one registry per app, so tests and several apps in one process don't clash. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's metrics and how to render them. */
export interface Metrics {
  readonly contentType: string;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** One call to a connector: its service, its outcome (`ok` or why it failed) and how long it took. */
  observeCallout(service: string, outcome: string, seconds: number): void;
  render(): Promise<string>;
}

/** Creates the registry with process metrics and HTTP request counters. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'patchbay_' });
  const requests = new Counter({ name: 'patchbay_http_requests_total', help: 'HTTP requests answered, by method, route and status.', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'patchbay_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route.',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const callouts = new Counter({ name: 'patchbay_callouts_total', help: 'Calls to application connectors, by service and outcome.', labelNames: ['service', 'outcome'], registers: [registry] });
  const calloutDuration = new Histogram({
    name: 'patchbay_callout_duration_seconds',
    help: 'Time from sending a callout to having its whole answer, by service.',
    labelNames: ['service'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    observeCallout(service, outcome, seconds) {
      callouts.inc({ service, outcome });
      calloutDuration.observe({ service }, seconds);
    },
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    render: () => registry.metrics(),
  };
}
