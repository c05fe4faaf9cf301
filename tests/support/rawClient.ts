/**
 * A bare `ws` client that speaks the relay protocol by hand, for what a
 * y-websocket provider never sends: bad input, the confirm extension, frames
 * in an exact order.
 */
import WebSocket from 'ws';
import type * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE } from '../../src/lib/model/protocol.js';
import { waitFor } from './poll.js';

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface RawClient {
  readonly ws: WebSocket;
  /** Every binary frame received, in order. */
  readonly received: Uint8Array[];
  /** Set once the socket has closed. */
  readonly closeInfo: CloseInfo | null;
  /** Resolves when the socket has closed, with the code the relay sent. */
  readonly closed: Promise<CloseInfo>;
  send(data: Uint8Array | string): void;
  /** Message types of every frame received so far. */
  types(): number[];
  /** Waits for a received frame matching `match`, looking at earlier frames too. */
  waitForMessage(match: (message: Uint8Array) => boolean, description: string): Promise<Uint8Array>;
  close(): void;
}

export async function openRawClient(
  wsUrl: string,
  room: string,
  /** E.g. `localAddress: '127.0.0.2'` to connect as another host. */
  options?: WebSocket.ClientOptions
): Promise<RawClient> {
  const ws = new WebSocket(`${wsUrl}/${room}`, options);
  const received: Uint8Array[] = [];
  let closeInfo: CloseInfo | null = null;
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
    });
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) received.push(new Uint8Array(data as Buffer));
  });
  // A refused connection reports an error before closing; the close carries the verdict.
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`))
    );
    ws.once('close', () => reject(new Error('closed before opening')));
  });
  return {
    ws,
    received,
    get closeInfo() {
      return closeInfo;
    },
    closed,
    send(data) {
      ws.send(data);
    },
    types: () => received.map(messageType),
    waitForMessage: (match, description) =>
      waitFor(() => received.find(match), { message: description }),
    close: () => ws.close()
  };
}

/**
 * Opens a raw client and waits for the relay's first sync step 1, which the
 * relay sends only once the room has loaded and the connection is admitted.
 * Then, like a y-websocket client, it asks for the room's state (sync step 1
 * with an empty state vector) and waits for the answer: the relay forwards
 * updates only to clients that have asked.
 */
export async function openReadyRawClient(
  wsUrl: string,
  room: string,
  options?: WebSocket.ClientOptions & {
    /** false: only wait for the relay's step 1 (the test asks, or must not). */
    askForState?: boolean;
  }
): Promise<RawClient> {
  const client = await openRawClient(wsUrl, room, options);
  await client.waitForMessage(
    (m) => messageType(m) === MESSAGE.sync && syncType(m) === syncProtocol.messageYjsSyncStep1,
    'the relay to send sync step 1'
  );
  if (options?.askForState === false) return client;
  client.send(stateRequest());
  await client.waitForMessage(
    (m) => messageType(m) === MESSAGE.sync && syncType(m) === syncProtocol.messageYjsSyncStep2,
    'the relay to answer with the room’s state'
  );
  return client;
}

/** Sync step 1 with an empty state vector: "send me everything". */
export function stateRequest(): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.sync);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, new Uint8Array([0]));
  return encoding.toUint8Array(encoder);
}

export function messageType(message: Uint8Array): number {
  return decoding.readVarUint(decoding.createDecoder(message));
}

/** The sync sub-type (step 1, step 2, update) of a sync message. */
export function syncType(message: Uint8Array): number {
  const decoder = decoding.createDecoder(message);
  decoding.readVarUint(decoder);
  return decoding.readVarUint(decoder);
}

/** The sequence number of a confirm message, or null for any other message. */
export function confirmSeq(message: Uint8Array): number | null {
  const decoder = decoding.createDecoder(message);
  if (decoding.readVarUint(decoder) !== MESSAGE.confirm) return null;
  return decoding.readVarUint(decoder);
}

export function encodeMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export function syncStep1Message(doc: Y.Doc): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.sync);
    syncProtocol.writeSyncStep1(e, doc);
  });
}

export function updateMessage(update: Uint8Array): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.sync);
    syncProtocol.writeUpdate(e, update);
  });
}

export function confirmMessage(seq: number): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.confirm);
    encoding.writeVarUint(e, seq);
  });
}

export function awarenessMessage(awarenessUpdate: Uint8Array): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.awareness);
    encoding.writeVarUint8Array(e, awarenessUpdate);
  });
}
