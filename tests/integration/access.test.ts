/**
 * Access enforced by the relay, from outside: real y-websocket clients with
 * credentials from redeemed invites, refusals at the websocket upgrade, and
 * writes outside a role neither stored nor forwarded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { SignJWT } from 'jose';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  whenSynced,
  type TestRelay
} from '../support/relay.js';
import { joinAs, upgradeStatus } from '../support/access.js';
import { waitFor } from '../support/poll.js';
import { MESSAGE } from '../../src/lib/model/protocol.js';
import { getMembersMap } from '../../src/lib/model/people.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const DOC = 'main.doc.d1';
const COMMENTS = 'main.comments.d1';
const INDEX = 'main.index';

async function relayWithAccess(): Promise<TestRelay> {
  return resources.relay(await startTestRelay({ insecureOpenAccess: false }));
}

describe('admission at the upgrade', () => {
  it('refuses no, malformed, tampered, foreign and invite credentials with 401', async () => {
    const relay = await relayWithAccess();
    const editor = await joinAs(relay, 'editor', 'Ana');
    expect((await upgradeStatus(relay, DOC, editor.credential)).status).toBe(101);

    const NEVER = 'main.doc.never';
    expect((await upgradeStatus(relay, NEVER)).status).toBe(401);
    expect((await upgradeStatus(relay, NEVER, 'not-a-jwt')).status).toBe(401);
    const [header, payload, signature] = editor.credential.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, sub: 'someone' })).toString(
      'base64url'
    );
    expect((await upgradeStatus(relay, DOC, `${header}.${promoted}.${signature}`)).status).toBe(
      401
    );
    const otherSecret = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32).fill(7));
    expect((await upgradeStatus(relay, DOC, otherSecret)).status).toBe(401);
    const { token: invite } = await relay.access!.createInvite({
      role: 'editor',
      createdBy: 'test'
    });
    const refused = await upgradeStatus(relay, DOC, invite);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).reason).toBe('invalid');
    // Refused before any room was loaded.
    expect(relay.relay.isLoaded(NEVER)).toBe(false);
  });

  it('refuses revoked credentials, removed people, other workspaces and other origins with 403', async () => {
    const relay = await relayWithAccess();
    const ana = await joinAs(relay, 'editor', 'Ana');
    const ben = await joinAs(relay, 'commenter', 'Ben');
    const cy = await joinAs(relay, 'viewer', 'Cy');

    expect((await upgradeStatus(relay, 'other.doc.d1', ana.credential)).status).toBe(403);
    const origin = await upgradeStatus(relay, DOC, ana.credential, {
      origin: 'https://evil.example'
    });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body).reason).toBe('origin');
    const host = new URL(relay.url).host;
    expect(
      (await upgradeStatus(relay, DOC, ana.credential, { origin: `http://${host}` })).status
    ).toBe(101);

    // Both were admitted before (their signatures are remembered): what the
    // store says about them now still decides.
    expect((await upgradeStatus(relay, DOC, ben.credential)).status).toBe(101);
    expect((await upgradeStatus(relay, DOC, cy.credential)).status).toBe(101);
    const record = relay.access!.store.listCredentials().find((c) => c.personId === ben.personId)!;
    relay.access!.store.revokeCredential(record.id, Date.now());
    const revoked = await upgradeStatus(relay, DOC, ben.credential);
    expect(revoked.status).toBe(403);
    expect(JSON.parse(revoked.body).reason).toBe('revoked');

    const response = await fetch(`${relay.url}/api/members/${cy.personId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ana.credential}` }
    });
    expect(response.status).toBe(200);
    const removed = await upgradeStatus(relay, DOC, cy.credential);
    expect(removed.status).toBe(403);
    expect(JSON.parse(removed.body).reason).toBe('removed');
    const session = await fetch(`${relay.url}/api/session`, {
      headers: { authorization: `Bearer ${cy.credential}` }
    });
    expect(session.status).toBe(403);
    expect(((await session.json()) as { error: string }).error).toMatch(/removed/);
  });
});

/** Waits for the y-protocols "permission denied" message on a raw socket. */
function permissionDenied(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    ws.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(decoder) !== MESSAGE.auth) return;
      decoding.readVarUint(decoder);
      resolve(decoding.readVarString(decoder));
    });
  });
}

describe('roles enforced per room', () => {
  it("drops a viewer's and a commenter's document writes: not stored, not forwarded, connection kept", async () => {
    const relay = await relayWithAccess();
    const editor = await joinAs(relay, 'editor', 'Ana');
    const viewer = await joinAs(relay, 'viewer', 'Cy');
    const commenter = await joinAs(relay, 'commenter', 'Ben');
    const a = resources.provider(
      connectProvider(relay.wsUrl, DOC, undefined, { token: editor.credential })
    );
    const v = resources.provider(
      connectProvider(relay.wsUrl, DOC, undefined, { token: viewer.credential })
    );
    const c = resources.provider(
      connectProvider(relay.wsUrl, DOC, undefined, { token: commenter.credential })
    );
    await Promise.all([whenSynced(a), whenSynced(v), whenSynced(c)]);
    const denied = Promise.all([
      permissionDenied(v.ws as unknown as WebSocket),
      permissionDenied(c.ws as unknown as WebSocket)
    ]);

    v.doc.getText('body').insert(0, 'viewer was here');
    c.doc.getText('body').insert(0, 'commenter was here');
    const reasons = await denied;
    expect(reasons[0]).toMatch(/viewer/);
    expect(reasons[1]).toMatch(/commenter/);

    a.doc.getText('body').insert(0, 'editor text');
    await waitFor(() => v.doc.getText('body').toString().includes('editor text'), {
      message: 'viewer keeps receiving'
    });
    await waitFor(() => c.doc.getText('body').toString().includes('editor text'), {
      message: 'commenter keeps receiving'
    });
    expect(a.doc.getText('body').toString()).toBe('editor text');
    expect(v.wsconnected && c.wsconnected).toBe(true);
    const stored = await docFromStore(relay.store, DOC);
    expect(stored.getText('body').toString()).toBe('editor text');
  });

  it('lets a commenter write comment rooms, under their own name only', async () => {
    const relay = await relayWithAccess();
    const editor = await joinAs(relay, 'editor', 'Ana');
    const commenter = await joinAs(relay, 'commenter', 'Ben');
    const a = resources.provider(
      connectProvider(relay.wsUrl, COMMENTS, undefined, { token: editor.credential })
    );
    const c = resources.provider(
      connectProvider(relay.wsUrl, COMMENTS, undefined, { token: commenter.credential })
    );
    await Promise.all([whenSynced(a), whenSynced(c)]);

    c.doc.transact(() => {
      const thread = new Y.Map<unknown>();
      thread.set('createdBy', commenter.personId);
      c.doc.getMap('threads').set('t1', thread);
    });
    await waitFor(() => a.doc.getMap('threads').has('t1'), { message: 'thread forwarded' });
    expect((await docFromStore(relay.store, COMMENTS)).getMap('threads').has('t1')).toBe(true);

    // Claiming to be the editor: refused, nothing stored, that connection closed.
    const closed = new Promise<number>((resolve) =>
      c.once('connection-close', (event) => resolve(event?.code ?? 0))
    );
    c.doc.transact(() => {
      const thread = new Y.Map<unknown>();
      thread.set('createdBy', editor.personId);
      c.doc.getMap('threads').set('forged', thread);
    });
    expect(await closed).toBe(4403);
    const stored = await docFromStore(relay.store, COMMENTS);
    expect(stored.getMap('threads').has('forged')).toBe(false);
    expect(a.doc.getMap('threads').has('forged')).toBe(false);
  });

  it('does not confirm what it dropped', async () => {
    const relay = await relayWithAccess();
    const viewer = await joinAs(relay, 'viewer', 'Cy');
    const ws = new WebSocket(`${relay.wsUrl}/${DOC}?token=${viewer.credential}`);
    const frames: Uint8Array[] = [];
    ws.on('message', (data: Buffer) => frames.push(new Uint8Array(data)));
    await new Promise((resolve) => ws.once('open', resolve));
    resources.add(ws, (s) => s.close());
    const send = (type: number, write: (e: encoding.Encoder) => void) => {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, type);
      write(encoder);
      ws.send(encoding.toUint8Array(encoder));
    };
    const doc = new Y.Doc();
    doc.getText('body').insert(0, 'x');
    send(MESSAGE.sync, (e) => {
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc));
    });
    send(MESSAGE.confirm, (e) => encoding.writeVarUint(e, 1));
    send(MESSAGE.queryAwareness, () => {});
    // The awareness answer comes after the confirm would have: none came.
    await waitFor(() => frames.some((f) => f[0] === MESSAGE.awareness), { message: 'answer' });
    expect(frames.some((f) => f[0] === MESSAGE.confirm)).toBe(false);
    expect(frames.some((f) => f[0] === MESSAGE.auth)).toBe(true);
  });
});

describe('invites, members and profile over HTTP', () => {
  it('counts uses, refuses expired and revoked invites, and writes the member entry', async () => {
    const relay = await relayWithAccess();
    const editor = await joinAs(relay, 'editor', 'Ana');
    const auth = { authorization: `Bearer ${editor.credential}` };
    const made = await fetch(`${relay.url}/api/invites`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'commenter', uses: 1, expiresInHours: 24 })
    });
    expect(made.status).toBe(201);
    const invite = (await made.json()) as { id: string; token: string; path: string };
    expect(invite.path).toBe(`/join#invite=${invite.token}`);

    const redeem = (token: string, name: string) =>
      fetch(`${relay.url}/api/redeem`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invite: token, name, timeZone: 'Asia/Kolkata' })
      });
    const first = await redeem(invite.token, 'Ravi');
    expect(first.status).toBe(200);
    const ravi = (await first.json()) as { personId: string; role: string };
    expect(ravi.role).toBe('commenter');
    const second = await redeem(invite.token, 'Mallory');
    expect(second.status).toBe(410);
    expect(((await second.json()) as { reason: string }).reason).toBe('used-up');

    const member = await relay.relay.read(INDEX, (doc) => getMembersMap(doc).get(ravi.personId));
    expect(member).toMatchObject({ name: 'Ravi', timeZone: 'Asia/Kolkata', role: 'commenter' });

    const other = await relay.access!.createInvite({ role: 'viewer', createdBy: 'test' });
    await fetch(`${relay.url}/api/invites/${other.invite.id}`, { method: 'DELETE', headers: auth });
    expect(((await (await redeem(other.token, 'X')).json()) as { reason: string }).reason).toBe(
      'revoked'
    );

    const bad = await redeem('garbage', 'X');
    expect(bad.status).toBe(401);
  });

  it('refuses invites from non-editors and bad input with plain words', async () => {
    const relay = await relayWithAccess();
    const commenter = await joinAs(relay, 'commenter', 'Ben');
    const auth = { authorization: `Bearer ${commenter.credential}` };
    const made = await fetch(`${relay.url}/api/invites`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'editor' })
    });
    expect(made.status).toBe(403);
    const profile = await fetch(`${relay.url}/api/profile`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Ben B',
        color: '#112233',
        timeZone: 'Europe/Berlin',
        // ISO weekdays: 7 is Sunday.
        workDays: [3, 4, 5, 6, 7]
      })
    });
    expect(profile.status).toBe(200);
    const member = await relay.relay.read(INDEX, (doc) =>
      getMembersMap(doc).get(commenter.personId)
    );
    expect(member).toMatchObject({
      name: 'Ben B',
      color: '#112233',
      role: 'commenter',
      workDays: [3, 4, 5, 6, 7]
    });
    const badColour = await fetch(`${relay.url}/api/profile`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ben', color: 'url(x)' })
    });
    expect(badColour.status).toBe(400);
    const notJson = await fetch(`${relay.url}/api/profile`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{'
    });
    expect(notJson.status).toBe(400);
  });

  it('closes a removed person’s open connections and keeps them out', async () => {
    const relay = await relayWithAccess();
    const ana = await joinAs(relay, 'editor', 'Ana');
    const ben = await joinAs(relay, 'commenter', 'Ben');
    const b = resources.provider(
      connectProvider(relay.wsUrl, COMMENTS, undefined, { token: ben.credential })
    );
    await whenSynced(b);
    const closed = new Promise<number>((resolve) =>
      b.once('connection-close', (event) => resolve(event?.code ?? 0))
    );
    await fetch(`${relay.url}/api/members/${ben.personId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ana.credential}` }
    });
    expect(await closed).toBe(4403);
    const member = await relay.relay.read(INDEX, (doc) => getMembersMap(doc).get(ben.personId));
    expect(member).toMatchObject({ removedAt: expect.any(Number) });
  });

  it('closes the open connections of a revoked credential at once and keeps it out', async () => {
    const relay = await relayWithAccess();
    const ana = await joinAs(relay, 'editor', 'Ana');
    const ben = await joinAs(relay, 'commenter', 'Ben');
    const credentialId = JSON.parse(
      Buffer.from(ben.credential.split('.')[1], 'base64url').toString()
    ).jti as string;
    const b = resources.provider(
      connectProvider(relay.wsUrl, COMMENTS, undefined, { token: ben.credential })
    );
    const a = resources.provider(
      connectProvider(relay.wsUrl, COMMENTS, undefined, { token: ana.credential })
    );
    await Promise.all([whenSynced(a), whenSynced(b)]);
    const closed = new Promise<number>((resolve) =>
      b.once('connection-close', (event) => resolve(event?.code ?? 0))
    );
    // Only editors revoke.
    const byCommenter = await fetch(`${relay.url}/api/credentials/${credentialId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ben.credential}` }
    });
    expect(byCommenter.status).toBe(403);
    const response = await fetch(`${relay.url}/api/credentials/${credentialId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ana.credential}` }
    });
    expect(await response.json()).toEqual({ ok: true, closed: 1 });
    expect(await closed).toBe(4403);
    // Nothing it sends any more reaches the room; the editor's socket stayed open.
    expect(a.wsconnected).toBe(true);
    expect((await upgradeStatus(relay, COMMENTS, ben.credential)).status).toBe(403);
    const again = await fetch(`${relay.url}/api/credentials/${credentialId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ana.credential}` }
    });
    expect(again.status).toBe(404);
  });

  it('prints an owner link once per start until an owner joins, and the owner may keep their id', async () => {
    const relay = await relayWithAccess();
    const first = await relay.access!.ownerLink();
    const second = await relay.access!.ownerLink();
    expect(first).not.toBe(second);
    const token = (link: string) => link.slice('/join#invite='.length);
    const stale = await fetch(`${relay.url}/api/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invite: token(first!), name: 'Owner' })
    });
    expect(stale.status).toBe(410);
    await relay.relay.change(INDEX, (doc) =>
      getMembersMap(doc).set('existingOwnerId', { name: 'Owner', updatedAt: 1 })
    );
    const joined = await fetch(`${relay.url}/api/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invite: token(second!), name: 'Owner', personId: 'existingOwnerId' })
    });
    expect(joined.status).toBe(200);
    expect(((await joined.json()) as { personId: string }).personId).toBe('existingOwnerId');
    expect(await relay.access!.ownerLink()).toBeNull();
    // Another invite cannot claim an existing member's id.
    const mallory = await joinAs(relay, 'editor', 'Mallory', { personId: 'existingOwnerId' });
    expect(mallory.personId).not.toBe('existingOwnerId');
  });
});

describe('joining again', () => {
  it('keeps the person of a device that is already signed in', async () => {
    const relay = await relayWithAccess();
    const ben = await joinAs(relay, 'commenter', 'Ben');
    const { token } = await relay.access!.createInvite({ role: 'editor', createdBy: 'test' });
    const again = await fetch(`${relay.url}/api/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ben.credential}` },
      body: JSON.stringify({ invite: token, name: 'Ben', personId: ben.personId })
    });
    const body = (await again.json()) as { personId: string; role: string };
    expect(body).toMatchObject({ personId: ben.personId, role: 'editor' });
    // Without the credential, the same id is not handed out again.
    const { token: other } = await relay.access!.createInvite({
      role: 'viewer',
      createdBy: 'test'
    });
    const stranger = await fetch(`${relay.url}/api/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invite: other, name: 'Mallory', personId: ben.personId })
    });
    expect(((await stranger.json()) as { personId: string }).personId).not.toBe(ben.personId);
  });
});
