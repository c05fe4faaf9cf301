/** Joining a test relay the way a device does: an invite, redeemed over HTTP. */
import type { Role } from '../../src/lib/model/access.js';
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
