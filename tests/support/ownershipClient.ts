/**
 * For the ownership fuzz (tests/integration/ownershipFuzz.test.ts): a
 * socket-less client of the relay core that acts as a person (fakeConnect
 * carries no principal, so the access hooks would refuse everything), and a
 * small re-encoder for updates whose items a test rewrites (another content
 * encoding, another origin) the way a hostile client could.
 */
import * as Y from 'yjs';
import { encodeStructs } from './reencode.js';
import type { Relay, Transport } from '../../server/relay/Relay.js';
import type { Role } from '../../src/lib/model/access.js';

export interface PersonConnection {
  receive(frame: Uint8Array): void;
  /** Everything the relay sent, in order; a reader may splice off what it handled. */
  sent: Uint8Array[];
  closed: { code: number; reason: string } | null;
  /** The client goes away (the transport closed from its side). */
  close(): void;
}

/** Connects to a room as `personId` with `role`, as if admitted at the websocket upgrade. */
export function connectAs(
  relay: Relay,
  room: string,
  personId: string,
  role: Role,
  remoteAddress = '10.0.0.1'
): PersonConnection {
  const person: PersonConnection = { receive: () => {}, sent: [], closed: null, close: () => {} };
  const transport: Transport = {
    send: (data) => person.sent.push(data),
    close: (code, reason) => {
      person.closed ??= { code, reason };
    }
  };
  const connection = relay.connect(transport, {
    room,
    remoteAddress,
    principal: { personId, role, kind: 'device', credentialId: `credential-${personId}` }
  });
  person.receive = (frame) => connection.receive(frame);
  person.close = () => {
    person.closed ??= { code: 1000, reason: 'client closed' };
    connection.closed();
  };
  return person;
}

/** Whether a value survives JSON unchanged (what ContentJSON can carry). */
function jsonSafe(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(jsonSafe);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every(jsonSafe);
  }
  return false;
}

/**
 * The same update with every ContentAny item whose values JSON can carry
 * re-encoded as ContentJSON (the encoding of old Yjs arrays): same ids,
 * lengths and values, another content ref on the wire. Returns how many
 * items it rewrote.
 */
export function asContentJSON(update: Uint8Array): { update: Uint8Array; rewritten: number } {
  const { structs, ds } = Y.decodeUpdate(update);
  let rewritten = 0;
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) continue;
    const values = struct.content.getContent();
    if (!values.every(jsonSafe)) continue;
    struct.content = new Y.ContentJSON(values);
    rewritten++;
  }
  return { update: encodeStructs(structs, ds), rewritten };
}

/**
 * An update of exactly one item holding one string in ContentAny, re-encoded
 * as ContentString: the item becomes as long as the string, and a map reads
 * it as its last character. Null for any other update. The sender's clock
 * no longer matches its document afterwards: send it from a throwaway one.
 */
export function asContentString(update: Uint8Array): Uint8Array | null {
  const { structs, ds } = Y.decodeUpdate(update);
  if (structs.length !== 1) return null;
  const item = structs[0];
  if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentAny)) return null;
  const values = item.content.getContent();
  if (values.length !== 1 || typeof values[0] !== 'string' || values[0].length === 0) return null;
  item.content = new Y.ContentString(values[0]);
  item.length = values[0].length;
  return encodeStructs(structs, ds);
}
