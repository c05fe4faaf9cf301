/**
 * For the ownership fuzz (tests/integration/ownershipFuzz.test.ts): a
 * socket-less client of the relay core that acts as a person (fakeConnect
 * carries no principal, so the access hooks would refuse everything), and a
 * small re-encoder for updates whose items a test rewrites (another content
 * encoding, another origin) the way a hostile client could.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
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

type Decoded = ReturnType<typeof Y.decodeUpdate>;
type Struct = Decoded['structs'][number];

/**
 * Encodes structs and a delete set as a V1 update, the inverse of
 * Y.decodeUpdate: structs are written as they are (each from its own first
 * clock), so a test may change their content or origins first. Structs of
 * one client must be consecutive in clock order.
 */
export function encodeStructs(structs: readonly Struct[], ds: Decoded['ds']): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const byClient = new Map<number, Struct[]>();
  for (const struct of structs) {
    const list = byClient.get(struct.id.client) ?? [];
    list.push(struct);
    byClient.set(struct.id.client, list);
  }
  const rest = encoder.restEncoder;
  encoding.writeVarUint(rest, byClient.size);
  for (const [client, list] of [...byClient].sort((a, b) => b[0] - a[0])) {
    encoding.writeVarUint(rest, list.length);
    encoder.writeClient(client);
    encoding.writeVarUint(rest, list[0].id.clock);
    for (const struct of list) struct.write(encoder, 0);
  }
  encoding.writeVarUint(rest, ds.clients.size);
  for (const [client, ranges] of [...ds.clients].sort((a, b) => b[0] - a[0])) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(rest, client);
    encoding.writeVarUint(rest, ranges.length);
    for (const range of ranges) {
      encoder.writeDsClock(range.clock);
      encoder.writeDsLen(range.len);
    }
  }
  return encoder.toUint8Array();
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
