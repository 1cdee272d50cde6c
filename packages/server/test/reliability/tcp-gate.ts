/**
 * A TCP gate in front of a peer (a webhook receiver, an HTTPS connector): in `pass` it forwards bytes
 * both ways, unchanged (TLS goes through end to end); in the fault modes it does what a broken peer or
 * network does to every new connection: `refuse` stops listening (connection refused: the peer is
 * gone), `reset` accepts and resets, `garbage` accepts and answers bytes that are neither TLS nor HTTP,
 * `blackhole` accepts and never says anything. Changing mode drops the connections already open, so
 * that pooled keep-alive connections cannot hide the fault. `pass` again on the same port brings the
 * peer back.
 */
import net from 'node:net';

/** What the gate does with connections. */
export type GateMode = 'pass' | 'refuse' | 'reset' | 'garbage' | 'blackhole';

/** A running gate. */
export interface TcpGate {
  readonly port: number;
  mode(): GateMode;
  /** Switches the mode (listening again on the same port after `refuse`). */
  set(mode: GateMode): Promise<void>;
  /** Connections accepted so far, by mode. */
  accepted(): Record<GateMode, number>;
  close(): Promise<void>;
}

/** Starts a gate on 127.0.0.1 (a free port) forwarding to 127.0.0.1:`targetPort`. */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  let mode: GateMode = 'pass';
  let listening = false;
  const open = new Set<net.Socket>();
  const accepted: Record<GateMode, number> = { pass: 0, refuse: 0, reset: 0, garbage: 0, blackhole: 0 };
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    accepted[mode]++;
    switch (mode) {
      case 'pass': {
        const upstream = net.connect(targetPort, '127.0.0.1');
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        break;
      }
      case 'reset':
        client.resetAndDestroy();
        break;
      case 'garbage':
        client.end('HTTP/1.1 2OO NOT QUITE\r\n\u0000\u0001\u0002 this is not TLS, nor HTTP\r\n\r\n');
        break;
      case 'blackhole':
      case 'refuse':
        // Held open without a word (refuse only sees connections that raced the close).
        client.pause();
        break;
    }
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        listening = true;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      for (const socket of open) socket.destroy();
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    mode: () => mode,
    async set(next) {
      if (next === mode) return;
      mode = next;
      for (const socket of open) socket.destroy();
      if (next === 'refuse') await stopListening();
      else if (!listening) await listen(port);
    },
    accepted: () => ({ ...accepted }),
    async close() {
      mode = 'refuse';
      await stopListening();
    },
  };
}
