/**
 * Reading a request body with a size cap, and answering with a `Content-Length` (Concur does not support
 * chunked transfer-encoding, so nothing here is ever chunked).
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The outcome of `readBody`. */
export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted' };

/**
 * Reads the whole body, up to `limit` bytes. A declared `Content-Length` over the limit is refused at once;
 * a body that grows past it is refused as soon as it does. Either way the rest of the body is read and
 * dropped (not kept), so the answer reaches the client instead of a connection reset.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let dropping = false;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      dropping = true;
      settle({ ok: false, reason: 'too-large' });
    }
    request.on('data', (chunk: Buffer) => {
      if (dropping) return;
      size += chunk.length;
      if (size > limit) {
        dropping = true;
        chunks.length = 0;
        settle({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => settle({ ok: true, body: Buffer.concat(chunks, size) }));
    request.on('error', () => settle({ ok: false, reason: 'aborted' }));
    request.on('close', () => settle({ ok: false, reason: 'aborted' }));
  });
}

/** Reads and drops a body nobody needs (a test connection's POST, a refused request), so the connection stays usable. */
export function drain(request: IncomingMessage): void {
  if (!request.readableEnded) request.resume();
}

/** Answers with a complete body and its `Content-Length`; adds `nosniff` and `no-store`. */
export function send(response: ServerResponse, status: number, body: string | Buffer, contentType: string | undefined, headers: OutgoingHttpHeaders = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.writeHead(status, {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(contentType !== undefined ? { 'content-type': contentType } : {}),
    ...headers,
    'content-length': String(bytes.length),
  });
  response.end(bytes);
}

/** Answers a short plain-text message: `{status text}: {message}`, or just the status text. */
export function sendText(response: ServerResponse, status: number, message?: string, headers: OutgoingHttpHeaders = {}): void {
  const title = STATUS_CODES[status] ?? 'Error';
  send(response, status, message === undefined ? `${title}\n` : `${title}: ${message}\n`, 'text/plain; charset=utf-8', headers);
}
