import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '../../src/lib/model/access.js';
import { prepareIncrementalVacuum } from '../store/SqliteStore.js';
import type { AccessStore, CredentialRecord, InviteRecord, RedeemOutcome } from './AccessStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invites (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  max_uses INTEGER,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER,
  owner INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY,
  person_id TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  invite_id TEXT
);
CREATE INDEX IF NOT EXISTS credentials_person ON credentials (person_id);
CREATE TABLE IF NOT EXISTS removed_people (
  person_id TEXT PRIMARY KEY,
  removed_at INTEGER NOT NULL,
  removed_by TEXT NOT NULL
);
`;

interface InviteRow {
  id: string;
  role: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
  owner: number;
}

interface CredentialRow {
  id: string;
  person_id: string;
  role: string;
  kind: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
  invite_id: string | null;
}

/**
 * Access records in the same SQLite file as the documents (its own
 * connection), so one backup holds both.
 */
export class SqliteAccessStore implements AccessStore {
  private readonly db: Database.Database;
  private readonly redeemTx: (
    id: string,
    at: number,
    credential: CredentialRecord
  ) => RedeemOutcome;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // The access tables share the documents' file: whoever creates it sets its vacuum mode.
    prepareIncrementalVacuum(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.redeemTx = this.db.transaction((id: string, at: number, credential: CredentialRecord) => {
      const invite = this.getInvite(id);
      if (!invite) return { ok: false, reason: 'invalid' } as const;
      if (invite.revokedAt !== null) return { ok: false, reason: 'revoked' } as const;
      if (invite.expiresAt !== null && invite.expiresAt <= at) {
        return { ok: false, reason: 'expired' } as const;
      }
      if (invite.maxUses !== null && invite.uses >= invite.maxUses) {
        return { ok: false, reason: 'used-up' } as const;
      }
      this.db.prepare('UPDATE invites SET uses = uses + 1 WHERE id = ?').run(id);
      this.recordCredential(credential);
      return { ok: true, invite: { ...invite, uses: invite.uses + 1 } } as const;
    });
  }

  createInvite(invite: InviteRecord): void {
    this.db
      .prepare(
        'INSERT INTO invites (id, role, created_by, created_at, expires_at, max_uses, uses, revoked_at, owner) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      )
      .run(
        invite.id,
        invite.role,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt,
        invite.maxUses,
        invite.uses,
        invite.revokedAt,
        invite.owner ? 1 : 0
      );
  }

  getInvite(id: string): InviteRecord | null {
    const row = this.db.prepare('SELECT * FROM invites WHERE id = ?').get(id) as
      InviteRow | undefined;
    return row ? inviteFrom(row) : null;
  }

  listInvites(): InviteRecord[] {
    const rows = this.db.prepare('SELECT * FROM invites ORDER BY created_at DESC').all();
    return (rows as InviteRow[]).map(inviteFrom);
  }

  revokeInvite(id: string, at: number): boolean {
    const result = this.db
      .prepare('UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
      .run(at, id);
    return result.changes > 0;
  }

  redeemInvite(id: string, at: number, credential: CredentialRecord): RedeemOutcome {
    return this.redeemTx(id, at, credential);
  }

  recordCredential(c: CredentialRecord): void {
    this.db
      .prepare(
        'INSERT INTO credentials (id, person_id, role, kind, name, created_at, revoked_at, invite_id) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
      )
      .run(c.id, c.personId, c.role, c.kind, c.name, c.createdAt, c.revokedAt, c.inviteId);
  }

  getCredential(id: string): CredentialRecord | null {
    const row = this.db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as
      CredentialRow | undefined;
    return row ? credentialFrom(row) : null;
  }

  listCredentials(): CredentialRecord[] {
    const rows = this.db.prepare('SELECT * FROM credentials ORDER BY created_at').all();
    return (rows as CredentialRow[]).map(credentialFrom);
  }

  revokeCredential(id: string, at: number): boolean {
    const result = this.db
      .prepare('UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
      .run(at, id);
    return result.changes > 0;
  }

  isPersonBound(personId: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM credentials WHERE person_id = ? LIMIT 1').get(personId) !==
      undefined
    );
  }

  removePerson(personId: string, at: number, by: string): void {
    this.db
      .prepare(
        'INSERT INTO removed_people (person_id, removed_at, removed_by) VALUES (?, ?, ?) ' +
          'ON CONFLICT (person_id) DO NOTHING'
      )
      .run(personId, at, by);
  }

  removedAt(personId: string): number | null {
    const row = this.db
      .prepare('SELECT removed_at FROM removed_people WHERE person_id = ?')
      .get(personId) as { removed_at: number } | undefined;
    return row?.removed_at ?? null;
  }

  listRemoved(): { personId: string; removedAt: number }[] {
    const rows = this.db
      .prepare('SELECT person_id, removed_at FROM removed_people ORDER BY removed_at')
      .all() as { person_id: string; removed_at: number }[];
    return rows.map((r) => ({ personId: r.person_id, removedAt: r.removed_at }));
  }

  hasOwner(): boolean {
    return (
      this.db
        .prepare(
          'SELECT 1 FROM credentials c JOIN invites i ON i.id = c.invite_id WHERE i.owner = 1 LIMIT 1'
        )
        .get() !== undefined
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function inviteFrom(row: InviteRow): InviteRecord {
  return {
    id: row.id,
    role: row.role as Role,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
    owner: row.owner === 1
  };
}

function credentialFrom(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    personId: row.person_id,
    role: row.role as Role,
    kind: row.kind as CredentialRecord['kind'],
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    inviteId: row.invite_id
  };
}
