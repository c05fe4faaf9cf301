/**
 * Wires the transport-free relay core to real WebSockets on an HTTP server:
 * upgrade requests for /sync/<room> become relay connections.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import { CLOSE, DEFAULT_MAX_MESSAGE_BYTES, SYNC_PATH } from '../src/lib/model/protocol.js';
import { isValidRoomName } from '../src/lib/model/rooms.js';
import type { ConnectionInfo, Relay } from './relay/Relay.js';
import type { Logger } from './relay/logger.js';
import { addressKey, resolveLimits, type RelayLimits } from './relay/limits.js';
import { startHeartbeat } from './heartbeat.js';

export interface AttachOptions {
  maxMessageBytes?: number;
  /** Connections per address, rooms loaded at once, heartbeat (docs/limits.md). */
  limits?: Partial<RelayLimits>;
  logger: Logger;
  /**
   * When true, upgrade requests outside /sync are refused. Leave false when
   * another handler (Vite's HMR socket in development) shares the server.
   */
  exclusive?: boolean;
  /**
   * Admission: decides an upgrade before any room is loaded or message
   * handled. Without it every connection is admitted (open access).
   */
  admit?: (request: IncomingMessage, room: string) => Promise<Admission>;
}

export type Admission =
  | { ok: true; principal: NonNullable<ConnectionInfo['principal']> }
  | { ok: false; status: number; reason: string; message: string };

export interface AttachedRelay {
  /** Stops accepting upgrades; open sockets are closed by `relay.close()`. */
  detach(): void;
}

export function attachRelay(server: Server, relay: Relay, options: AttachOptions): AttachedRelay {
  const { logger } = options;
  const maxPayload = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  const limits = resolveLimits(options.limits);
  const heartbeat = startHeartbeat(limits.heartbeatMs);
  /** Open sockets per remote address. */
  const openFrom = new Map<string, number>();

  /** Too many sockets open from this address already: 429, nothing loaded. */
  const refuseOverAddressLimit = (socket: Duplex, room: string, address: string): boolean => {
    const cap = limits.maxConnectionsPerAddress;
    if (cap <= 0 || (openFrom.get(address) ?? 0) < cap) return false;
    logger.warn('refused upgrade', {
      room,
      status: 429,
      reason: `more than ${cap} connections from one address`,
      remoteAddress: address
    });
    rejectUpgrade(socket, 429, STATUS_TEXT[429], {
      error: 'Too many connections from your address: close some tabs or try again later.',
      reason: 'connections'
    });
    return true;
  };

  /** A room not in memory while the cap of loaded rooms is reached: 503. */
  const refuseOverRoomLimit = (socket: Duplex, room: string, address: string): boolean => {
    const cap = limits.maxLoadedRooms;
    if (cap <= 0 || relay.isLoaded(room) || relay.loadedRoomCount() < cap) return false;
    logger.warn('refused upgrade', {
      room,
      status: 503,
      reason: `${cap} rooms are loaded already`,
      remoteAddress: address
    });
    rejectUpgrade(socket, 503, STATUS_TEXT[503], {
      error: 'The relay has too many documents open: try again in a minute.',
      reason: 'rooms'
    });
    return true;
  };

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
    if (!options.admit) return accept(request, socket, head, room, undefined);
    options.admit(request, room).then(
      (admission) => {
        if (socket.destroyed) return;
        if (!admission.ok) {
          logger.warn('refused upgrade', {
            room,
            status: admission.status,
            reason: admission.reason,
            remoteAddress: request.socket.remoteAddress
          });
          rejectUpgrade(socket, admission.status, STATUS_TEXT[admission.status] ?? 'Refused', {
            error: admission.message,
            reason: admission.reason
          });
          return;
        }
        accept(request, socket, head, room, admission.principal);
      },
      (error: unknown) => {
        logger.error('admission failed', { room, error: String(error) });
        rejectUpgrade(socket, 500, 'Internal Server Error');
      }
    );
  };

  const accept = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    room: string,
    principal: ConnectionInfo['principal']
  ) => {
    // Read now, so nothing the socket keeps holds on to the request.
    const remoteAddress = request.socket.remoteAddress;
    const address = addressKey(remoteAddress);
    if (refuseOverAddressLimit(socket, room, address)) return;
    if (refuseOverRoomLimit(socket, room, address)) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      openFrom.set(address, (openFrom.get(address) ?? 0) + 1);
      let held = false;
      const connection = relay.connect(
        {
          send: (data) => ws.send(data),
          close: (code, reason) => ws.close(code, closeReason(reason)),
          pause: () => {
            held = true;
            ws.pause();
          },
          resume: () => {
            held = false;
            ws.resume();
          },
          bufferedAmount: () => ws.bufferedAmount
        },
        {
          room,
          remoteAddress,
          principal
        }
      );
      heartbeat.watch(ws, {
        held: () => held,
        onDead: () =>
          logger.warn('closing connection', {
            room,
            reason: 'no answer to the heartbeat ping',
            remoteAddress: address
          })
      });
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
          remoteAddress: address
        });
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          ws.close(CLOSE.messageTooBig, `message larger than ${maxPayload} bytes`);
        }
      });
      ws.on('close', () => {
        const open = (openFrom.get(address) ?? 1) - 1;
        if (open > 0) openFrom.set(address, open);
        else openFrom.delete(address);
        connection.closed();
      });
    });
  };

  server.on('upgrade', onUpgrade);
  return {
    detach() {
      server.off('upgrade', onUpgrade);
      heartbeat.stop();
      wss.close();
    }
  };
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable'
};

/** Answers an upgrade with a plain HTTP status (and a JSON reason for scripts). */
function rejectUpgrade(socket: Duplex, status: number, text: string, body?: object): void {
  const payload = body ? JSON.stringify(body) : '';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n` +
      (body ? 'Content-Type: application/json\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
  );
}

/** A close reason as the protocol allows it: at most 123 bytes (ws throws otherwise). */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
