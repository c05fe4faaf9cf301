/**
 * The access commands (`npm run invite`, `npm run token`, `npm run members`):
 * they open the relay's access records directly, so they work whether or not
 * the relay runs. Output ends with the one line a script wants (a link, a
 * credential), and every error is a sentence with exit code 1.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { configFromEnv } from '../config.js';
import { ROLES, type Role } from '../../src/lib/model/access.js';
import { DEFAULT_WORKSPACE_ID, indexRoom, isValidId } from '../../src/lib/model/rooms.js';
import { getMembersMap, listPeople } from '../../src/lib/model/people.js';
import { Access } from './Access.js';
import { SqliteAccessStore } from './SqliteAccessStore.js';
import { loadOrCreateSecret } from './secret.js';
import { runningPid } from '../store/pidFile.js';
import { SqliteStore } from '../store/SqliteStore.js';
import { Relay } from '../relay/Relay.js';
import { createLogger } from '../relay/logger.js';
import { setMemberKeys } from './api.js';

export class CliError extends Error {}

interface Context {
  access: Access;
  dataDir: string;
  baseUrl: string;
  out: (line: string) => void;
}

function open(out: (line: string) => void): Context & { close(): void } {
  const config = configFromEnv();
  const store = new SqliteAccessStore(join(config.dataDir, 'relay.sqlite'));
  const access = new Access({
    store,
    secret: loadOrCreateSecret(config.dataDir).secret,
    workspaceId: DEFAULT_WORKSPACE_ID
  });
  const host = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  return {
    access,
    dataDir: config.dataDir,
    baseUrl: config.publicUrl ?? `http://${host}:${config.port || 3000}`,
    out,
    close: () => store.close()
  };
}

function role(value: string | undefined): Role {
  if (!value)
    throw new CliError('Say which role: --role editor, --role commenter or --role viewer.');
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new CliError(`"${value}" is not a role: use editor, commenter or viewer.`);
  }
  return value as Role;
}

/** "7d", "12h", "30m" or a number of hours. */
export function hoursFrom(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([dhm]?)$/.exec(value.trim());
  if (!match) throw new CliError(`--expires takes a duration like 7d, 12h or 30m; got "${value}".`);
  const amount = Number(match[1]);
  const hours = match[2] === 'd' ? amount * 24 : match[2] === 'm' ? amount / 60 : amount;
  if (hours <= 0 || hours > 24 * 366) {
    throw new CliError('--expires must be more than nothing and at most a year.');
  }
  return hours;
}

function when(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export async function inviteCommand(argv: string[], out = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      role: { type: 'string' },
      expires: { type: 'string' },
      uses: { type: 'string' },
      revoke: { type: 'string' },
      list: { type: 'boolean' }
    }
  });
  const ctx = open(out);
  try {
    if (values.list) {
      const invites = ctx.access.store.listInvites().filter((i) => !i.owner);
      if (invites.length === 0) out('No invites yet.');
      for (const i of invites) {
        const state = i.revokedAt ? 'revoked' : `${i.uses}/${i.maxUses ?? '∞'} used`;
        out(`${i.id}  ${i.role.padEnd(9)}  ${state.padEnd(12)}  expires ${when(i.expiresAt)}`);
      }
      return;
    }
    if (values.revoke) {
      if (!ctx.access.store.revokeInvite(values.revoke, Date.now())) {
        throw new CliError(`There is no open invite with id ${values.revoke} (see --list).`);
      }
      out(`Invite ${values.revoke} revoked: its link no longer works.`);
      return;
    }
    const uses = values.uses === undefined ? null : Number(values.uses);
    if (uses !== null && (!Number.isInteger(uses) || uses < 1)) {
      throw new CliError(`--uses takes a whole number of at least 1; got "${values.uses}".`);
    }
    const { invite, path } = await ctx.access.createInvite({
      role: role(values.role),
      createdBy: 'cli',
      expiresInHours: values.expires ? hoursFrom(values.expires) : 7 * 24,
      uses
    });
    out(
      `Invite ${invite.id}: ${invite.role}, ${uses === null ? 'any number of uses' : `${uses} use(s)`}, ` +
        `expires ${when(invite.expiresAt)}. Revoke with: npm run invite -- --revoke ${invite.id}`
    );
    out(ctx.baseUrl + path);
  } finally {
    ctx.close();
  }
}

export async function tokenCommand(argv: string[], out = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      revoke: { type: 'string' },
      list: { type: 'boolean' }
    }
  });
  const ctx = open(out);
  try {
    if (values.list) {
      const tokens = ctx.access.store.listCredentials().filter((c) => c.kind === 'token');
      if (tokens.length === 0) out('No tokens yet.');
      for (const t of tokens) {
        out(`${t.id}  ${t.role.padEnd(9)}  ${t.revokedAt ? 'revoked' : 'active '}  ${t.name}`);
      }
      return;
    }
    if (values.revoke) {
      const record = ctx.access.store.getCredential(values.revoke);
      if (!record || record.revokedAt !== null) {
        throw new CliError(`There is no active token with id ${values.revoke} (see --list).`);
      }
      // Through the running relay, its open connections close at once.
      const closedNow = await throughRunningRelay(
        ctx,
        'DELETE',
        `credentials/${encodeURIComponent(values.revoke)}`
      );
      if (!closedNow) ctx.access.store.revokeCredential(values.revoke, Date.now());
      out(
        closedNow
          ? `Token ${values.revoke} revoked: its open connections were closed.`
          : `Token ${values.revoke} revoked: it is refused from its next connection.`
      );
      return;
    }
    const name = values.name?.trim();
    if (!name) throw new CliError('Name what the token is for: --name "chat bot".');
    const { credential, record } = await ctx.access.issueToken({ role: role(values.role), name });
    out(
      `Token ${record.id} for "${name}" (${record.role}), member id ${record.personId}. ` +
        `Connect with ?token=<credential>; revoke with: npm run token -- --revoke ${record.id}`
    );
    out(credential);
  } finally {
    ctx.close();
  }
}

export async function membersCommand(argv: string[], out = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { remove: { type: 'string' }, list: { type: 'boolean' } }
  });
  const ctx = open(out);
  try {
    if (values.remove) {
      const personId = values.remove;
      if (!isValidId(personId))
        throw new CliError(`"${personId}" is not a person id (see --list).`);
      await removeOffOrOnline(ctx, personId);
      return;
    }
    const credentials = ctx.access.store.listCredentials();
    const removed = new Map(ctx.access.store.listRemoved().map((r) => [r.personId, r.removedAt]));
    const names = await memberNames(ctx);
    const people = new Set([...credentials.map((c) => c.personId), ...names.keys()]);
    if (people.size === 0) out('No members yet.');
    for (const id of people) {
      const mine = credentials.filter((c) => c.personId === id);
      const roles = [...new Set(mine.map((c) => c.role))].join(',') || 'none';
      const state = removed.has(id)
        ? `removed ${when(removed.get(id)!)}`
        : `${mine.length} device(s)`;
      out(
        `${id}  ${(names.get(id) ?? mine[0]?.name ?? '?').padEnd(20)}  ${roles.padEnd(9)}  ${state}`
      );
    }
  } finally {
    ctx.close();
  }
}

/** Names from the member list, read from the store when the relay is not running. */
async function memberNames(ctx: Context): Promise<Map<string, string>> {
  const path = join(ctx.dataDir, 'relay.sqlite');
  if (!existsSync(path)) return new Map();
  const store = new SqliteStore(path);
  const relay = new Relay({ store, logger: createLogger('error') });
  try {
    return await relay.read(indexRoom(DEFAULT_WORKSPACE_ID), (doc) => {
      return new Map(listPeople(doc).map((p) => [p.id, p.name]));
    });
  } finally {
    await relay.close();
    store.close();
  }
}

/**
 * Asks the running relay to do something through its API, with a one-off
 * editor token revoked afterwards, so it can act on open connections at
 * once. False when no relay runs or it cannot be reached at the address we
 * guess; a refusal throws its sentence.
 */
async function throughRunningRelay(ctx: Context, method: string, path: string): Promise<boolean> {
  if (runningPid(ctx.dataDir) === null) return false;
  const { credential, record } = await ctx.access.issueToken({ role: 'editor', name: 'npm run' });
  try {
    const response = await fetch(`${ctx.baseUrl}/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${credential}` }
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new CliError(`The relay refused: ${body.error ?? response.status}`);
    }
    return true;
  } catch (error) {
    if (error instanceof CliError) throw error;
    ctx.out(
      `Could not reach the running relay at ${ctx.baseUrl} (set PUBLIC_URL or PORT); ` +
        'open connections close when they next reconnect.'
    );
    return false;
  } finally {
    ctx.access.store.revokeCredential(record.id, Date.now());
  }
}

/**
 * Removal works with the relay running or not. Running: through its API (so
 * open connections close at once). Stopped: the records and the member list
 * are written directly.
 */
async function removeOffOrOnline(ctx: Context, personId: string): Promise<void> {
  const running = runningPid(ctx.dataDir) !== null;
  if (running) {
    const done = await throughRunningRelay(
      ctx,
      'DELETE',
      `members/${encodeURIComponent(personId)}`
    );
    // Unreachable: the records still refuse the person from their next connection.
    if (!done) ctx.access.removePerson(personId, 'cli');
  } else {
    ctx.access.removePerson(personId, 'cli');
    const store = new SqliteStore(join(ctx.dataDir, 'relay.sqlite'));
    const relay = new Relay({ store, logger: createLogger('error') });
    try {
      await relay.change(indexRoom(DEFAULT_WORKSPACE_ID), (doc) => {
        if (getMembersMap(doc).has(personId)) {
          setMemberKeys(doc, personId, { removedAt: Date.now() });
        }
      });
    } finally {
      await relay.close();
      store.close();
    }
  }
  ctx.out(`Removed ${personId}: every device of theirs is refused from now on.`);
}

/** Runs a command as a process: errors as one sentence and exit code 1. */
export function run(command: (argv: string[]) => Promise<void>): void {
  command(process.argv.slice(2)).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      message.startsWith('Unknown option') ? `${message}. See docs/access.md.` : message
    );
    process.exit(1);
  });
}
