import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy a test can sever. Playwright's setOffline does not close
 * WebSockets that are already open, so to cut a browser off for real, the
 * browser talks to the app through this proxy and the test cuts it here.
 */
export interface TcpProxy {
  port: number;
  url: string;
  /** Destroys every open connection and refuses new ones until restored. */
  sever(): void;
  /**
   * Stops forwarding in both directions but keeps every connection open, as
   * a network that silently drops everything does: neither end hears a close.
   */
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  /** Each client socket and the upstream one it is piped to. */
  const pairs = new Map<Socket, Socket>();
  let severed = false;
  let frozen = false;
  const server: Server = createServer((client) => {
    if (severed) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      pairs.delete(client);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    pairs.set(client, upstream);
    if (frozen) return;
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    sever() {
      severed = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      severed = false;
    },
    close() {
      severed = true;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    }
  };
}
