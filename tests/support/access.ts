/** Joining a test relay the way a device does: an invite, redeemed over HTTP. */
import type { Role } from '../../src/lib/model/access.js';
import WebSocket from 'ws';
import type { TestRelay } from './relay.js';

export interface Joined {
  credential: string;
  personId: string;
  role: Role;
  workspaceId: string;
}

/** Makes an invite for `role` and redeems it as `name`, like opening the link. */
export async function joinAs(
  relay: TestRelay,
  role: Role,
  name: string,
  extra: { personId?: string; color?: string; timeZone?: string } = {}
): Promise<Joined> {
  if (!relay.access) throw new Error('this relay runs with open access');
  const { token } = await relay.access.createInvite({ role, createdBy: 'test', uses: 1 });
  const response = await fetch(`${relay.url}/api/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ invite: token, name, ...extra })
  });
  const body = (await response.json()) as Joined & { error?: string };
  if (!response.ok) throw new Error(`redeem failed: ${response.status} ${body.error}`);
  return body;
}

/** The HTTP status a websocket upgrade gets (101 when admitted). */
export function upgradeStatus(
  relay: TestRelay,
  room: string,
  token?: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: string }> {
  const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(`${relay.wsUrl}/${room}${query}`, { headers });
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}
