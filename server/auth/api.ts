/**
 * The access HTTP API under /api (docs/access.md): redeem an invite, who am I,
 * profile, invites and members. JSON in and out; every refusal says why in
 * plain words. Credentials are never logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ROLES } from '../../src/lib/model/access.js';
import { indexRoom, isValidId } from '../../src/lib/model/rooms.js';
import {
  getMembersMap,
  isTimeOfDay,
  isTimeZone,
  normalizeWorkDays,
  upsertPerson,
  workingTimeError,
  type Person
} from '../../src/lib/model/people.js';
import { isColor, normalizeName } from '../../src/lib/model/names.js';
import { CLOSE } from '../../src/lib/model/protocol.js';
import type { Relay } from '../relay/Relay.js';
import type { Logger } from '../relay/logger.js';
import type { Access, Principal } from './Access.js';
import { setMemberKeys } from './members.js';

export { setMemberKeys };

const MAX_BODY_BYTES = 64 * 1024;

const profileSchema = z.object({
  name: z.string().max(200),
  color: z.string().refine(isColor, 'a colour like #1f6feb').optional(),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone like Europe/Berlin').optional(),
  workStart: z.string().refine(isTimeOfDay, 'a time like 09:00').optional(),
  workEnd: z.string().refine(isTimeOfDay, 'a time like 17:00').optional(),
  workDays: z.array(z.number().int().min(1).max(7)).max(7).optional()
});

const redeemSchema = profileSchema.extend({
  invite: z.string().min(1).max(4096),
  personId: z.string().max(64).optional()
});

const inviteSchema = z.object({
  role: z.enum(ROLES),
  expiresInHours: z
    .number()
    .positive()
    .max(24 * 366)
    .nullable()
    .optional(),
  uses: z.number().int().min(1).max(10_000).nullable().optional()
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = 'bad-request'
  ) {
    super(message);
  }
}

const DEFAULT_COLOR = '#57606a';

export function createAccessApi(access: Access, relay: Relay, logger: Logger) {
  const index = indexRoom(access.workspaceId);

  async function principalOf(req: IncomingMessage, editorOnly = false): Promise<Principal> {
    const result = await access.bearer(req);
    if (!result.ok) throw new HttpError(result.status, result.message, result.reason);
    if (editorOnly && result.principal.role !== 'editor') {
      throw new HttpError(403, 'Only editors can do this.', 'role');
    }
    return result.principal;
  }

  function personFrom(id: string, body: z.infer<typeof profileSchema>): Person {
    const name = normalizeName(body.name);
    if (!name) throw new HttpError(400, 'A name is needed so others know who wrote what.');
    const workingTime = {
      timeZone: body.timeZone ?? 'UTC',
      workStart: body.workStart ?? '09:00',
      workEnd: body.workEnd ?? '17:00',
      workDays: normalizeWorkDays(body.workDays ?? [1, 2, 3, 4, 5])
    };
    const problem = workingTimeError(workingTime);
    if (problem) throw new HttpError(400, problem);
    return { id, name, color: body.color ?? DEFAULT_COLOR, updatedAt: Date.now(), ...workingTime };
  }

  const routes: Record<
    string,
    (req: IncomingMessage, parts: string[]) => Promise<[number, unknown]>
  > = {
    'POST redeem': async (req) => {
      const body = parse(redeemSchema, await readJson(req));
      const person = personFrom('pending', body);
      const members = await relay.read(index, (doc) => new Set(getMembersMap(doc).keys()));
      // A device already signed in that opens another invite (a new role)
      // stays the same person.
      const current = req.headers.authorization ? await access.bearer(req) : null;
      const result = await access.redeem({
        signedInAs: current?.ok ? current.principal.personId : undefined,
        token: body.invite,
        name: person.name,
        personId: body.personId,
        isMember: (id) => members.has(id)
      });
      if (!result.ok) throw new HttpError(result.status, result.message, result.reason);
      const { personId, role } = result.principal;
      await relay.change(index, (doc) => {
        upsertPerson(doc, { ...person, id: personId });
        setMemberKeys(doc, personId, { role });
      });
      logger.info('invite redeemed', { person: personId, role, invite: result.invite.id });
      return [
        200,
        { credential: result.credential, personId, role, workspaceId: access.workspaceId }
      ];
    },
    'GET session': async (req) => {
      const principal = await principalOf(req);
      return [
        200,
        {
          personId: principal.personId,
          role: principal.role,
          kind: principal.kind,
          workspaceId: access.workspaceId
        }
      ];
    },
    'PUT profile': async (req) => {
      const principal = await principalOf(req);
      const body = parse(profileSchema, await readJson(req));
      const person = personFrom(principal.personId, body);
      await relay.change(index, (doc) => upsertPerson(doc, person));
      return [200, { ok: true }];
    },
    'GET invites': async (req) => {
      await principalOf(req, true);
      return [200, { invites: access.store.listInvites().filter((i) => !i.owner) }];
    },
    'POST invites': async (req) => {
      const principal = await principalOf(req, true);
      const body = parse(inviteSchema, await readJson(req));
      const { invite, token, path } = await access.createInvite({
        role: body.role,
        createdBy: principal.personId,
        expiresInHours: body.expiresInHours ?? null,
        uses: body.uses ?? null
      });
      logger.info('invite created', {
        invite: invite.id,
        role: invite.role,
        by: principal.personId
      });
      return [201, { ...invite, token, path }];
    },
    'DELETE invites': async (req, parts) => {
      const principal = await principalOf(req, true);
      const id = parts[0] ?? '';
      if (!access.store.getInvite(id))
        throw new HttpError(404, 'There is no such invite.', 'not-found');
      access.store.revokeInvite(id, Date.now());
      logger.info('invite revoked', { invite: id, by: principal.personId });
      return [200, { ok: true }];
    },
    'DELETE credentials': async (req, parts) => {
      const principal = await principalOf(req, true);
      const id = parts[0] ?? '';
      const record = access.store.getCredential(id);
      if (!record || record.revokedAt !== null) {
        throw new HttpError(404, 'There is no active credential with that id.', 'not-found');
      }
      const closed = revokeCredential(access, relay, id);
      logger.info('credential revoked', { credential: id, by: principal.personId, closed });
      return [200, { ok: true, closed }];
    },
    'DELETE members': async (req, parts) => {
      const principal = await principalOf(req, true);
      const personId = parts[0] ?? '';
      if (!isValidId(personId)) throw new HttpError(400, 'That is not a person id.');
      if (personId === principal.personId) {
        throw new HttpError(400, 'You cannot remove yourself; ask another editor.', 'self');
      }
      await removeMember(access, relay, personId, principal.personId);
      logger.info('member removed', { person: personId, by: principal.personId });
      return [200, { ok: true }];
    }
  };

  /** Handles /api/*; returns false for anything else. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith('/api/')) return false;
    const [name, ...parts] = path.slice('/api/'.length).split('/').map(safeDecode);
    const route = routes[`${req.method} ${name}`];
    try {
      if (!route) throw new HttpError(404, 'There is no such API endpoint.', 'not-found');
      const [status, body] = await route(req, parts);
      send(res, status, body);
    } catch (error) {
      if (error instanceof HttpError) {
        send(res, error.status, { error: error.message, reason: error.reason });
      } else {
        logger.error('api request failed', { path: `/api/${name}`, error: String(error) });
        send(res, 500, {
          error: 'The relay could not do that just now; try again.',
          reason: 'internal'
        });
      }
    }
    return true;
  };
}

/**
 * Revokes one credential: refused from now on, and every socket open with it
 * closed at once (a revoked device must not keep writing through a socket it
 * opened before). Returns how many were closed.
 */
export function revokeCredential(access: Access, relay: Relay, credentialId: string): number {
  access.store.revokeCredential(credentialId, Date.now());
  return relay.closeWhere(
    (info) => info.principal?.credentialId === credentialId,
    CLOSE.forbidden,
    'this device was signed out of the workspace'
  );
}

/** Removes a person: credentials refused, open connections closed, member entry marked. */
export async function removeMember(
  access: Access,
  relay: Relay,
  personId: string,
  by: string
): Promise<void> {
  access.removePerson(personId, by);
  relay.closeWhere(
    (info) => info.principal?.personId === personId,
    CLOSE.forbidden,
    'you were removed from this workspace'
  );
  await relay.change(indexRoom(access.workspaceId), (doc) =>
    setMemberKeys(doc, personId, { removedAt: Date.now() })
  );
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new HttpError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'That request is too large.', 'too-large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        reject(new HttpError(400, 'The request body is not JSON.'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  });
  res.end(payload);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return '';
  }
}
