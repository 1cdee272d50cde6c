/**
 * A webhook receiver for benchmarks, run as its own process (`startNodeChild`): a plain `node:http`
 * server on 127.0.0.1 with keep-alive that answers every POST `200` with an empty body as soon as the
 * body has arrived. `POST /hook/<n>` is an ESS delivery to subscription n: it records when the whole
 * body arrived (epoch ms, sub-millisecond), the event's id and `timeStamp`, and the
 * `Concur-CorrelationId` header. Any other path (the bare-POST baseline) is only counted.
 *
 * Methods: `reset()`, `count()` (deliveries since reset), `collect()` (the records since reset, as
 * columns), `sample()` (one delivery's body and Concur-Signature, to verify), and the built-in `cpu`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './child-process.ts';

/** Deliveries recorded since the last reset, one entry per delivery in every column. */
export interface ReceivedDeliveries {
  /** Subscription number (the n of /hook/n). */
  subscription: number[];
  /** When the whole body had arrived: epoch ms (performance.timeOrigin + performance.now()). */
  arrivedAt: number[];
  /** The event's `timeStamp`, epoch ms. */
  committedAt: number[];
  eventId: string[];
  correlationId: string[];
  /** Deliveries without a Concur-Signature header. */
  unsigned: number;
  /** Requests to other paths (bare POSTs). */
  other: number;
}

export interface ReceiverReady {
  url: string;
}

if (import.meta.main) {
  const now = () => performance.timeOrigin + performance.now();
  let records: ReceivedDeliveries = empty();
  let sample: { body: string; signature: string } | null = null;

  function empty(): ReceivedDeliveries {
    return { subscription: [], arrivedAt: [], committedAt: [], eventId: [], correlationId: [], unsigned: 0, other: 0 };
  }

  const server = http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = now();
      const url = request.url ?? '';
      if (url.startsWith('/hook/')) {
        const text = Buffer.concat(chunks).toString('utf8');
        const event = JSON.parse(text) as { id: string; timeStamp: string };
        const signature = request.headers['concur-signature'];
        records.subscription.push(Number(url.slice('/hook/'.length)));
        records.arrivedAt.push(at);
        records.committedAt.push(Date.parse(event.timeStamp));
        records.eventId.push(event.id);
        records.correlationId.push(String(request.headers['concur-correlationid'] ?? ''));
        if (typeof signature !== 'string' || signature === '') records.unsigned++;
        else if (!sample) sample = { body: text, signature };
      } else {
        records.other++;
      }
      response.writeHead(200, { 'content-length': '0' });
      response.end();
    });
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  serveParent(
    {
      reset: () => {
        records = empty();
      },
      count: () => records.arrivedAt.length,
      collect: () => records,
      sample: () => sample,
      stop: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    },
    { url: `http://127.0.0.1:${port}` } satisfies ReceiverReady,
  );
}
