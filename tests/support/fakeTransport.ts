/**
 * A client of the relay core without a socket: it records what the relay
 * sends and how it closed the connection, and feeds frames straight into
 * Relay.connect, so tests drive the core turn by turn.
 */
import type { Relay, Transport } from '../../server/relay/Relay.js';

export interface FakeConnection {
  receive(frame: Uint8Array | string): void;
  sent: Uint8Array[];
  closed: { code: number; reason: string } | null;
}

export function fakeConnect(relay: Relay, room: string, remoteAddress: string): FakeConnection {
  const fake: FakeConnection = { receive: () => {}, sent: [], closed: null };
  const transport: Transport = {
    send: (data) => fake.sent.push(data),
    close: (code, reason) => {
      fake.closed ??= { code, reason };
    }
  };
  const connection = relay.connect(transport, { room, remoteAddress });
  fake.receive = (frame) => connection.receive(frame);
  return fake;
}
