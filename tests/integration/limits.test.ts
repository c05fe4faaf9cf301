/**
 * Each limit of docs/limits.md, tripped by one misbehaving client while two
 * well-behaved y-websocket clients in the same room keep syncing: only the
 * offender is closed (or refused at the upgrade), with the close code of
 * protocol.ts and a log line naming the room, its address and the reason,
 * never the request URL (it carries the credential).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import {
  Resources,
  bodyText,
  connectProvider,
  startTestRelay,
  tempDataDir,
  whenSynced,
  type TestRelay
} from '../support/relay.js';
import {
  awarenessMessage,
  confirmMessage,
  confirmSeq,
  encodeMessage,
  openRawClient,
  openReadyRawClient,
  syncStep1Message,
  updateMessage,
  type RawClient
} from '../support/rawClient.js';
import { gatedStore } from '../support/gatedStore.js';
import {
  FLOOD_FRAMES,
  floodAnswered,
  floodBehindHeldUpdate,
  paddedConfirm,
  startFloodRelay
} from '../support/floods.js';
import { waitFor } from '../support/poll.js';
import { CLOSE } from '../../src/lib/model/protocol.js';
import { Relay, type Transport } from '../../server/relay/Relay.js';
import { DEFAULT_LIMITS, TokenBucket } from '../../server/relay/limits.js';
import { silentLogger } from '../../server/relay/logger.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { configFromEnv } from '../../server/config.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.limits';
/** Travels in the misbehaving clients' URLs, as a credential would; must never be logged. */
const SECRET = 'secret-credential-in-the-url';
const OTHER_HOST = { localAddress: '127.0.0.2' };

interface Team {
  a: WebsocketProvider;
  b: WebsocketProvider;
  /** Every close either good client saw. */
  closes: unknown[];
}

/** Two well-behaved clients in ROOM, synced and seeing each other's presence. */
async function goodTeam(relay: TestRelay): Promise<Team> {
  const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
  const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
  const closes: unknown[] = [];
  for (const provider of [a, b]) provider.on('connection-close', (event) => closes.push(event));
  a.awareness.setLocalStateField('user', { name: 'Alice', color: '#1f6feb' });
  b.awareness.setLocalStateField('user', { name: 'Bob', color: '#8250df' });
  await whenSynced(a, 'a synced');
  await whenSynced(b, 'b synced');
  await waitFor(() => userName(b, a.doc.clientID) === 'Alice' && userName(a, b.doc.clientID), {
    message: 'the good clients to see each other'
  });
  return { a, b, closes };
}

function userName(viewer: WebsocketProvider, clientId: number): string | undefined {
  return (viewer.awareness.getStates().get(clientId) as { user?: { name?: string } } | undefined)
    ?.user?.name;
}

let edits = 0;
/** Both directions still sync, neither good client was ever closed, presence intact. */
async function expectStillSyncing(team: Team): Promise<void> {
  const there = `a-${++edits};`;
  team.a.doc.getText('body').insert(0, there);
  await waitFor(() => bodyText(team.b).includes(there), { message: 'an edit from a to reach b' });
  const back = `b-${++edits};`;
  team.b.doc.getText('body').insert(0, back);
  await waitFor(() => bodyText(team.a).includes(back), { message: 'an edit from b to reach a' });
  expect(team.closes).toEqual([]);
  expect(team.a.wsconnected && team.b.wsconnected).toBe(true);
  expect(userName(team.b, team.a.doc.clientID)).toMatch(/^Alice/);
  expect(userName(team.a, team.b.doc.clientID)).toBe('Bob');
}

/** The misbehaving client, with a credential-like secret in its URL. */
function openBad(relay: TestRelay, options?: { localAddress: string }): Promise<RawClient> {
  return openReadyRawClient(relay.wsUrl, `${ROOM}?token=${SECRET}`, options);
}

/** The relay logged the close with room, address and reason, and never the URL. */
function expectLoggedClose(relay: TestRelay, reason: RegExp, remoteAddress = '127.0.0.1'): void {
  const entry = relay.logs.find(
    (l) => l.message === 'closing connection' && reason.test(String(l.reason))
  );
  expect(entry, `a log line for ${reason}`).toMatchObject({ room: ROOM, remoteAddress });
  expect(JSON.stringify(relay.logs)).not.toContain(SECRET);
}

function awarenessUpdate(entries: [clientId: number, clock: number, state: unknown][]) {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const [clientId, clock, state] of entries) {
      encoding.writeVarUint(e, clientId);
      encoding.writeVarUint(e, clock);
      encoding.writeVarString(e, JSON.stringify(state));
    }
  });
}

const BAD_ID = 919191;

/** The ws client, connecting from 127.0.0.2: another host as far as the relay can tell. */
class FromOtherHost extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, OTHER_HOST);
  }
}

describe('limits: one misbehaving client is closed, the room goes on', () => {
  it('too many messages per second: closed with 1013', async () => {
    const relay = resources.relay(
      await startTestRelay({ limits: { messagesPerSecond: 20, messageBurst: 100 } })
    );
    const team = await goodTeam(relay);
    const bad = await openBad(relay);
    for (let i = 1; i <= 300; i++) bad.send(confirmMessage(i));
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.tryAgainLater);
    expect(closed.reason).toMatch(/more than 20 messages per second/);
    // Nothing past the burst was handled (what was queued within it is
    // dropped too: the client resends whatever is unconfirmed).
    expect(bad.received.filter((m) => confirmSeq(m) !== null).length).toBeLessThanOrEqual(100);
    expectLoggedClose(relay, /messages per second/);
    await expectStillSyncing(team);
  });

  it('too many bytes per second: closed with 1013', async () => {
    const relay = resources.relay(
      await startTestRelay({ limits: { bytesPerSecond: 64 * 1024, byteBurst: 256 * 1024 } })
    );
    const team = await goodTeam(relay);
    const bad = await openBad(relay);
    for (let i = 1; i <= 8; i++) bad.send(paddedConfirm(i, 64 * 1024));
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.tryAgainLater);
    expect(closed.reason).toMatch(/more than 65536 bytes per second/);
    expectLoggedClose(relay, /bytes per second/);
    await expectStillSyncing(team);
  });

  it('a client that does not read what the relay sends: closed with 1013', async () => {
    const relay = resources.relay(
      await startTestRelay({ limits: { sendBufferMaxBytes: 256 * 1024 } })
    );
    const team = await goodTeam(relay);
    team.a.doc.getText('big').insert(0, 'x'.repeat(300 * 1024));
    await waitFor(() => team.b.doc.getText('big').length === 300 * 1024, {
      message: 'the big text to reach b'
    });
    const bad = await openBad(relay);
    // It stops reading and keeps asking for the whole document.
    bad.ws.pause();
    for (let i = 0; i < 200; i++) bad.send(syncStep1Message(new Y.Doc()));
    await waitFor(
      () =>
        relay.logs.some(
          (l) => l.message === 'closing connection' && /not reading/.test(String(l.reason))
        ),
      { message: 'the relay to give up on the slow reader' }
    );
    await expectStillSyncing(team);
    // Once it reads again it finds the close after what was already queued.
    bad.ws.resume();
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.tryAgainLater);
    expect(closed.reason).toMatch(/the client is not reading/);
    expectLoggedClose(relay, /not reading/);
  });

  it('an awareness state over the size cap: closed with 1008, nothing of it kept', async () => {
    const relay = resources.relay(await startTestRelay({ limits: { awarenessMaxBytes: 1024 } }));
    const team = await goodTeam(relay);
    const bad = await openBad(relay);
    bad.send(
      awarenessMessage(
        awarenessUpdate([
          [BAD_ID + 1, 1, { user: { name: 'Small' } }],
          [BAD_ID, 1, { user: { name: 'Big' }, blob: 'x'.repeat(2000) }]
        ])
      )
    );
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.policyViolation);
    expect(closed.reason).toMatch(/over the 1024-byte limit/);
    expectLoggedClose(relay, /over the 1024-byte limit/);
    await expectStillSyncing(team);
    expect(team.b.awareness.getStates().has(BAD_ID)).toBe(false);
    expect(team.b.awareness.getStates().has(BAD_ID + 1)).toBe(false);
  });

  const badUsers: { name: string; user: unknown; reason: RegExp }[] = [
    { name: 'a name over 100 characters', user: { name: 'n'.repeat(101) }, reason: /name/ },
    { name: 'a name that is not text', user: { name: 42 }, reason: /name/ },
    {
      name: 'a colour that is a url()',
      user: { name: 'Eve', color: 'url(https://evil.example/x.png)' },
      reason: /color/
    },
    { name: 'a colour by name', user: { name: 'Eve', color: 'red' }, reason: /color/ },
    { name: 'a user that is not an object', user: 'Eve', reason: /user must be an object/ }
  ];

  it.each(badUsers)('an awareness user with $name: closed with 1008', async ({ user, reason }) => {
    const relay = resources.relay(await startTestRelay());
    const team = await goodTeam(relay);
    const bad = await openBad(relay);
    bad.send(awarenessMessage(awarenessUpdate([[BAD_ID, 1, { user }]])));
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.policyViolation);
    expect(closed.reason).toMatch(reason);
    expectLoggedClose(relay, reason);
    await expectStillSyncing(team);
    expect(team.b.awareness.getStates().has(BAD_ID)).toBe(false);
  });

  it('accepts an awareness user at the bounds (100 characters, #rrggbb)', async () => {
    const relay = resources.relay(await startTestRelay());
    const team = await goodTeam(relay);
    const client = await openBad(relay);
    const name = '✓'.repeat(100);
    client.send(
      awarenessMessage(awarenessUpdate([[BAD_ID, 1, { user: { name, color: '#A1b2C3' } }]]))
    );
    await waitFor(() => userName(team.b, BAD_ID) === name, { message: 'b to see the new user' });
    expect(client.closeInfo).toBeNull();
  });

  it.each([
    { what: 'set', state: { user: { name: 'Mallory', color: '#000000' } } },
    { what: 'remove', state: null }
  ])(
    "a client from another host trying to $what someone else's presence: closed with 1008",
    async ({ state }) => {
      const relay = resources.relay(await startTestRelay());
      const team = await goodTeam(relay);
      const bad = await openBad(relay, OTHER_HOST);
      const victim = team.a.doc.clientID;
      const clock = team.b.awareness.meta.get(victim)!.clock;
      bad.send(
        awarenessMessage(
          awarenessUpdate([
            [BAD_ID, 1, { user: { name: 'Own state' } }],
            [victim, clock + 5, state]
          ])
        )
      );
      const closed = await bad.closed;
      expect(closed.code).toBe(CLOSE.policyViolation);
      expect(closed.reason).toMatch(/belongs to another connection/);
      expectLoggedClose(relay, /belongs to another connection/, '127.0.0.2');
      await expectStillSyncing(team);
      // Nothing of the update was applied, not even its own entry.
      expect(team.b.awareness.getStates().has(BAD_ID)).toBe(false);
      // The victim's presence still moves when it changes it itself.
      team.a.awareness.setLocalStateField('user', { name: 'Alice again', color: '#1f6feb' });
      await waitFor(() => userName(team.b, victim) === 'Alice again', {
        message: "the victim's own update to arrive"
      });
    }
  );

  it("presence forwarded by another tab of the same client is ignored, the tab's socket kept", async () => {
    const relay = resources.relay(await startTestRelay());
    const team = await goodTeam(relay);
    // Same address: like a second tab relaying the first one's presence
    // (y-websocket forwards BroadcastChannel awareness to its socket).
    const tab = await openBad(relay);
    const victim = team.a.doc.clientID;
    const clock = team.b.awareness.meta.get(victim)!.clock;
    tab.send(
      awarenessMessage(
        awarenessUpdate([[victim, clock + 5, { user: { name: 'Forwarded', color: '#000000' } }]])
      )
    );
    tab.send(confirmMessage(1));
    await tab.waitForMessage((m) => confirmSeq(m) === 1, 'the tab to be answered');
    expect(tab.closeInfo).toBeNull();
    expect(userName(team.b, victim)).toBe('Alice');
    team.a.awareness.setLocalStateField('user', { name: 'Alice 2', color: '#1f6feb' });
    await waitFor(() => userName(team.b, victim) === 'Alice 2', {
      message: "the owner's own update to win"
    });
    await expectStillSyncing(team);
  });

  it('a y-websocket client leaving (a null state) removes its presence, nobody is closed', async () => {
    const relay = resources.relay(await startTestRelay());
    const team = await goodTeam(relay);
    const third = resources.provider(connectProvider(relay.wsUrl, ROOM));
    third.awareness.setLocalStateField('user', { name: 'Carol', color: '#bf3989' });
    await waitFor(() => userName(team.b, third.doc.clientID) === 'Carol', {
      message: 'b to see Carol'
    });
    third.awareness.setLocalState(null);
    await waitFor(() => !team.b.awareness.getStates().has(third.doc.clientID), {
      message: "Carol's presence to go"
    });
    expect(third.wsconnected).toBe(true);
    third.awareness.setLocalState({ user: { name: 'Carol back', color: '#bf3989' } });
    await waitFor(() => userName(team.a, third.doc.clientID) === 'Carol back', {
      message: 'Carol to come back'
    });
    await expectStillSyncing(team);
  });

  it("y-websocket clients on different hosts echo each other's presence and nobody is closed", async () => {
    const relay = resources.relay(await startTestRelay());
    const team = await goodTeam(relay);
    // A y-websocket client forwards every presence it receives back to the
    // relay, often with a clock the relay has already moved past.
    const remote = resources.provider(
      new WebsocketProvider(relay.wsUrl, ROOM, new Y.Doc(), {
        WebSocketPolyfill: FromOtherHost as unknown as typeof globalThis.WebSocket,
        disableBc: true
      })
    );
    const closes: unknown[] = [];
    remote.on('connection-close', (event) => closes.push(event));
    remote.awareness.setLocalStateField('user', { name: 'Remote', color: '#bf3989' });
    await whenSynced(remote);
    for (let i = 0; i < 50; i++) {
      team.a.awareness.setLocalStateField('cursor', { at: i });
      remote.awareness.setLocalStateField('cursor', { at: i });
    }
    await waitFor(
      () =>
        (team.b.awareness.getStates().get(remote.doc.clientID) as { cursor?: { at: number } })
          ?.cursor?.at === 49 &&
        (remote.awareness.getStates().get(team.a.doc.clientID) as { cursor?: { at: number } })
          ?.cursor?.at === 49,
      { message: 'the last cursor positions to arrive' }
    );
    team.a.doc.getText('body').insert(0, 'from a;');
    await waitFor(() => remote.doc.getText('body').toString().includes('from a;'), {
      message: 'the remote client to keep syncing'
    });
    expect(closes).toEqual([]);
    expect(relay.logs.filter((l) => l.message === 'closing connection')).toEqual([]);
    await expectStillSyncing(team);
  });

  it('too many awareness client ids on one connection: closed with 1008', async () => {
    const relay = resources.relay(await startTestRelay({ limits: { awarenessMaxClients: 3 } }));
    const team = await goodTeam(relay);
    const bad = await openBad(relay);
    bad.send(
      awarenessMessage(
        awarenessUpdate([0, 1, 2, 3].map((i) => [BAD_ID + i, 1, { user: { name: `id ${i}` } }]))
      )
    );
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE.policyViolation);
    expect(closed.reason).toMatch(/more than 3 awareness client ids/);
    expectLoggedClose(relay, /more than 3 awareness client ids/);
    await expectStillSyncing(team);
    expect(team.b.awareness.getStates().has(BAD_ID)).toBe(false);
  });

  it('too many connections from one address: refused at the upgrade with 429', async () => {
    const relay = resources.relay(
      await startTestRelay({ limits: { maxConnectionsPerAddress: 3 } })
    );
    const team = await goodTeam(relay);
    const third = await openBad(relay);
    await expect(openRawClient(relay.wsUrl, 'main.doc.elsewhere')).rejects.toThrow(/HTTP 429/);
    // Refused before any room was loaded.
    expect(relay.relay.isLoaded('main.doc.elsewhere')).toBe(false);
    const refusal = relay.logs.find((l) => l.message === 'refused upgrade' && l.status === 429);
    expect(refusal).toMatchObject({ room: 'main.doc.elsewhere', remoteAddress: '127.0.0.1' });
    // Counted per address: another host is still welcome.
    const elsewhere = await openReadyRawClient(relay.wsUrl, ROOM, OTHER_HOST);
    elsewhere.close();
    // A slot freed is a slot available again.
    third.close();
    const again = await waitFor(() => openRawClient(relay.wsUrl, ROOM).catch(() => null), {
      message: 'a connection to be admitted again'
    });
    again.close();
    await expectStillSyncing(team);
  });

  it('too many rooms loaded: a connection to another room is refused with 503', async () => {
    const relay = resources.relay(await startTestRelay({ limits: { maxLoadedRooms: 1 } }));
    const team = await goodTeam(relay);
    await expect(openRawClient(relay.wsUrl, 'main.doc.another')).rejects.toThrow(/HTTP 503/);
    expect(relay.relay.isLoaded('main.doc.another')).toBe(false);
    expect(await relay.store.rooms()).not.toContain('main.doc.another');
    expect(relay.logs.find((l) => l.status === 503)).toMatchObject({
      message: 'refused upgrade',
      room: 'main.doc.another',
      remoteAddress: '127.0.0.1'
    });
    // The loaded room itself still takes newcomers.
    const newcomer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(newcomer);
    await expectStillSyncing(team);
  });

  it('a flood is held back (the socket is not read) and then handled in full', async () => {
    const { relay, store } = await startFloodRelay(resources);
    const team = await goodTeam(relay);
    const flooder = await openBad(relay);
    // 32 MiB behind an update the store holds: more than the kernel buffers.
    await floodBehindHeldUpdate(relay, store, flooder);
    await waitFor(() => flooder.ws.bufferedAmount > 0, {
      message: 'the flood to back up in the client, the relay no longer reading'
    });
    // Bounded: the pause mark plus what one socket read had already brought.
    expect(relay.relay.inboxStats().queuedMessages).toBeLessThan(100);
    // Meanwhile the room goes on.
    await expectStillSyncing(team);

    store.gate.open();
    await floodAnswered(flooder, 'every flooded message to be handled');
    const seqs = flooder.received.map(confirmSeq).filter((s) => s !== null);
    expect(seqs).toEqual(Array.from({ length: FLOOD_FRAMES }, (_, i) => i + 1));
    expect(flooder.closeInfo).toBeNull();
    expect(relay.relay.inboxStats()).toEqual({ pausedConnections: 0, queuedMessages: 0 });
    await expectStillSyncing(team);
  });
});

describe('limits in the relay core', () => {
  /** A transport that records; with `pausable`, it also counts pauses and resumes. */
  function fakeTransport(pausable: boolean) {
    const record = {
      sent: [] as Uint8Array[],
      closed: null as { code: number; reason: string } | null,
      pauses: 0,
      resumes: 0
    };
    const transport: Transport = {
      send: (data) => record.sent.push(data),
      close: (code, reason) => {
        record.closed ??= { code, reason };
      },
      ...(pausable ? { pause: () => record.pauses++, resume: () => record.resumes++ } : {})
    };
    return { record, transport };
  }

  async function relayWithHeldLoad(limits: ConstructorParameters<typeof Relay>[0]['limits']) {
    const dataDir = tempDataDir();
    const store = gatedStore(new SqliteStore(join(dataDir, 'relay.sqlite')), { loads: true });
    const relay = new Relay({ store, logger: silentLogger, limits });
    resources.add(relay, async (r) => {
      store.loadGate.open();
      await r.close();
      await store.close();
    });
    return { relay, store };
  }

  it('a transport that cannot pause is closed with 1013 past the inbox cap', async () => {
    const { relay } = await relayWithHeldLoad({ inboxMaxMessages: 50 });
    const { record, transport } = fakeTransport(false);
    const connection = relay.connect(transport, { room: ROOM });
    for (let seq = 1; seq <= 60; seq++) connection.receive(confirmMessage(seq));
    expect(record.closed).toEqual({
      code: CLOSE.tryAgainLater,
      reason: 'more than 50 messages waiting to be handled'
    });
  });

  it('a transport that can pause is paused at the high-water mark and resumed under the low one', async () => {
    const { relay, store } = await relayWithHeldLoad({
      inboxPauseMessages: 32,
      inboxResumeMessages: 8,
      inboxMaxMessages: 50
    });
    const { record, transport } = fakeTransport(true);
    const connection = relay.connect(transport, { room: ROOM });
    for (let seq = 1; seq <= 31; seq++) connection.receive(confirmMessage(seq));
    expect(record.pauses).toBe(0);
    connection.receive(confirmMessage(32));
    expect(record.pauses).toBe(1);
    // Frames a socket had already read still arrive, past the hard cap even:
    // with backpressure the cap does not apply.
    for (let seq = 33; seq <= 60; seq++) connection.receive(confirmMessage(seq));
    expect(relay.inboxStats()).toEqual({ pausedConnections: 1, queuedMessages: 60 });
    store.loadGate.open();
    await waitFor(() => record.sent.filter((m) => confirmSeq(m) !== null).length === 60, {
      message: 'all 60 confirms'
    });
    expect(record.resumes).toBe(1);
    expect(record.pauses).toBe(1);
    expect(record.closed).toBeNull();
    expect(relay.inboxStats()).toEqual({ pausedConnections: 0, queuedMessages: 0 });
  });

  it('keeps no request URL or headers on a connection after admission', async () => {
    const dataDir = tempDataDir();
    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const seen: { admit?: object; update?: object } = {};
    const relay = new Relay({
      store,
      logger: silentLogger,
      hooks: {
        admit(info) {
          seen.admit = { ...info };
          return null;
        },
        decideUpdate(info) {
          seen.update = { ...info };
          return { action: 'accept' };
        }
      }
    });
    resources.add(relay, async (r) => {
      await r.close();
      await store.close();
    });
    const principal = { personId: 'p1', role: 'editor', kind: 'device', credentialId: 'c1' };
    const { record, transport } = fakeTransport(true);
    const connection = relay.connect(transport, {
      room: ROOM,
      url: `/sync/${ROOM}?token=${SECRET}`,
      headers: { cookie: 'session=1' },
      remoteAddress: '10.0.0.7',
      principal
    });
    const doc = new Y.Doc();
    doc.getText('body').insert(0, 'hello');
    connection.receive(updateMessage(Y.encodeStateAsUpdate(doc)));
    connection.receive(confirmMessage(1));
    await waitFor(() => record.sent.some((m) => confirmSeq(m) === 1), { message: 'a confirm' });
    expect(seen.admit).toMatchObject({ url: expect.stringContaining(SECRET) });
    expect(seen.update).toEqual({ room: ROOM, remoteAddress: '10.0.0.7', principal });
  });

  it('a token bucket allows its burst at once, then its rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 20, () => now);
    for (let i = 0; i < 20; i++) expect(bucket.take(1)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    now += 500; // half a second: 5 tokens
    for (let i = 0; i < 5; i++) expect(bucket.take(1)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    now += 60_000; // refills to the burst, not beyond
    expect(bucket.take(20)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    expect(new TokenBucket(0, 1).take(1e9)).toBe(true); // rate 0: no limit
  });

  it('reads every limit from the environment, with defaults and plain-words errors', () => {
    expect(configFromEnv({}).limits).toEqual(DEFAULT_LIMITS);
    const limits = configFromEnv({
      RATE_MESSAGES_PER_SECOND: '10',
      RATE_MESSAGES_BURST: '20',
      RATE_BYTES_PER_SECOND: '0',
      RATE_BYTES_BURST: '1',
      INBOX_PAUSE_MESSAGES: '5',
      INBOX_RESUME_MESSAGES: '1',
      INBOX_MAX_MESSAGES: '6',
      SEND_BUFFER_MAX_BYTES: '7',
      AWARENESS_MAX_BYTES: '8',
      AWARENESS_MAX_CLIENTS: '9',
      MAX_CONNECTIONS_PER_ADDRESS: '11',
      MAX_LOADED_ROOMS: '12',
      HEARTBEAT_MS: '13'
    }).limits;
    expect(limits).toEqual({
      messagesPerSecond: 10,
      messageBurst: 20,
      bytesPerSecond: 0,
      byteBurst: 1,
      inboxPauseMessages: 5,
      inboxResumeMessages: 1,
      inboxMaxMessages: 6,
      sendBufferMaxBytes: 7,
      awarenessMaxBytes: 8,
      awarenessMaxClients: 9,
      maxConnectionsPerAddress: 11,
      maxLoadedRooms: 12,
      heartbeatMs: 13
    });
    expect(() => configFromEnv({ HEARTBEAT_MS: 'often' })).toThrow(/HEARTBEAT_MS must be/);
    expect(() => configFromEnv({ RATE_BYTES_BURST: '1024' })).toThrow(
      /RATE_BYTES_BURST .* must be at least MAX_MESSAGE_BYTES/
    );
    expect(() =>
      configFromEnv({ INBOX_PAUSE_MESSAGES: '10', INBOX_RESUME_MESSAGES: '10' })
    ).toThrow(/INBOX_RESUME_MESSAGES .* must be below INBOX_PAUSE_MESSAGES/);
  });
});
