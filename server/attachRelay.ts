/**
 * Wires the transport-free relay core to real WebSockets on an HTTP server:
 * upgrade requests for /sync/<room> become relay connections.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import { CLOSE, DEFAULT_MAX_MESSAGE_BYTES, SYNC_PATH } from '../src/lib/model/protocol.js';
import { isValidRoomName } from '../src/lib/model/rooms.js';
import type { Relay } from './relay/Relay.js';
import type { Logger } from './relay/logger.js';

export interface AttachOptions {
  maxMessageBytes?: number;
  logger: Logger;
  /**
   * When true, upgrade requests outside /sync are refused. Leave false when
   * another handler (Vite's HMR socket in development) shares the server.
   */
  exclusive?: boolean;
}

export interface AttachedRelay {
  /** Stops accepting upgrades; open sockets are closed by `relay.close()`. */
  detach(): void;
}

export function attachRelay(server: Server, relay: Relay, options: AttachOptions): AttachedRelay {
  const { logger } = options;
  const maxPayload = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const wss = new WebSocketServer({ noServer: true, maxPayload });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    if (!url.pathname.startsWith(SYNC_PATH + '/')) {
      if (options.exclusive) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    let room: string;
    try {
      room = decodeURIComponent(url.pathname.slice(SYNC_PATH.length + 1));
    } catch {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    if (!isValidRoomName(room)) {
      logger.warn('refused upgrade: invalid room name', { room: room.slice(0, 200) });
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = relay.connect(
        {
          send: (data) => ws.send(data),
          close: (code, reason) => ws.close(code, reason)
        },
        {
          room,
          url: request.url,
          headers: request.headers,
          remoteAddress: request.socket.remoteAddress
        }
      );
      ws.on('message', (data: RawData, isBinary: boolean) => {
        connection.receive(isBinary ? toBytes(data) : data.toString());
      });
      ws.on('error', (error: Error & { code?: string }) => {
        // ws closes the socket itself (1009 for an oversized frame, 1002 for a
        // protocol error); we only record why.
        logger.warn('websocket error', {
          room,
          code: error.code,
          error: error.message,
          remoteAddress: request.socket.remoteAddress
        });
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          ws.close(CLOSE.messageTooBig, `message larger than ${maxPayload} bytes`);
        }
      });
      ws.on('close', () => connection.closed());
    });
  };

  server.on('upgrade', onUpgrade);
  return {
    detach() {
      server.off('upgrade', onUpgrade);
      wss.close();
    }
  };
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
