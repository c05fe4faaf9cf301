/**
 * A standard y-websocket client in Node (ws polyfill, no BroadcastChannel),
 * plus the relay's "confirm" extension so the bench knows when what a client
 * sent is durably stored instead of guessing with a sleep.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { WebsocketProvider } from 'y-websocket';
import { MESSAGE, SYNC_PATH } from '../../src/lib/model/protocol.js';
import { waitFor } from './util.js';

export function wsUrlOf(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws') + SYNC_PATH;
}

/**
 * `params` go into the URL's query: `{ token }` is how a client holding a
 * credential is admitted where the relay is not run with open access.
 */
export function connectClient(
  wsUrl: string,
  room: string,
  doc = new Y.Doc(),
  connect = true,
  params: Record<string, string> = {}
): WebsocketProvider {
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect,
    params
  });
  // Answers to confirm requests: the highest sequence number the relay has
  // stored everything before. Kept on a side table, not on the provider.
  provider.messageHandlers[MESSAGE.confirm] = (_encoder, decoder) => {
    confirmed.set(provider, decoding.readVarUint(decoder));
  };
  return provider;
}

const confirmed = new WeakMap<WebsocketProvider, number>();
const requested = new WeakMap<WebsocketProvider, number>();

export function whenSynced(provider: WebsocketProvider, timeoutMs = 30_000): Promise<void> {
  return waitFor(() => provider.synced, `sync of ${provider.roomname}`, {
    timeoutMs,
    intervalMs: 2
  });
}

/**
 * Resolves once the relay has stored every update this client sent so far.
 * Sent after `synced`: by then the client's answer to the relay's sync step 1
 * (its offline edits) is on the wire ahead of the confirm request, and the
 * relay handles one connection's messages in order.
 */
export async function whenStored(provider: WebsocketProvider, timeoutMs = 30_000): Promise<void> {
  await whenSynced(provider, timeoutMs);
  const seq = (requested.get(provider) ?? 0) + 1;
  requested.set(provider, seq);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.confirm);
  encoding.writeVarUint(encoder, seq);
  const ws = provider.ws;
  if (!ws) throw new Error(`${provider.roomname}: not connected`);
  ws.send(encoding.toUint8Array(encoder));
  await waitFor(() => (confirmed.get(provider) ?? 0) >= seq, `confirm from ${provider.roomname}`, {
    timeoutMs,
    intervalMs: 2
  });
}

/**
 * Writes a document from this process and returns once the relay holds it.
 * `token`: a credential (benchAccess), for a relay that admits members only.
 */
export async function seedDocument(
  wsUrl: string,
  room: string,
  write: (doc: Y.Doc) => void,
  token?: string
): Promise<{ encodedBytes: number }> {
  const doc = new Y.Doc();
  write(doc);
  const encodedBytes = Y.encodeStateAsUpdate(doc).byteLength;
  const provider = connectClient(wsUrl, room, doc, true, token ? { token } : {});
  try {
    await whenStored(provider);
  } finally {
    provider.destroy();
    doc.destroy();
  }
  return { encodedBytes };
}
