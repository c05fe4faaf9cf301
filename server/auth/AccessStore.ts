/**
 * What the relay remembers about access: invites (how often used, revoked),
 * credentials it issued (so they can be revoked) and people removed. One
 * implementation per backend, like the document Store (SQLite now).
 */
import type { Role } from '../../src/lib/model/access.js';

export interface InviteRecord {
  id: string;
  role: Role;
  /** Person id of the editor who made it, or "cli" / "owner-link". */
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  revokedAt: number | null;
  /** The first-start link: its redeemer may keep an existing person id. */
  owner: boolean;
}

export interface CredentialRecord {
  id: string;
  personId: string;
  role: Role;
  kind: 'device' | 'token';
  /** A token's name ("backup job", "chat bot"); a device's person name when issued. */
  name: string;
  createdAt: number;
  revokedAt: number | null;
  inviteId: string | null;
}

export type RedeemOutcome =
  | { ok: true; invite: InviteRecord }
  | { ok: false; reason: 'invalid' | 'expired' | 'used-up' | 'revoked' };

export interface AccessStore {
  createInvite(invite: InviteRecord): void;
  getInvite(id: string): InviteRecord | null;
  listInvites(): InviteRecord[];
  revokeInvite(id: string, at: number): boolean;
  /**
   * Checks an invite and counts one use, atomically, and records the
   * credential issued for it in the same step, so two devices racing for the
   * last use cannot both win.
   */
  redeemInvite(id: string, at: number, credential: CredentialRecord): RedeemOutcome;
  recordCredential(credential: CredentialRecord): void;
  getCredential(id: string): CredentialRecord | null;
  listCredentials(): CredentialRecord[];
  revokeCredential(id: string, at: number): boolean;
  /** Whether any credential was ever issued to this person id. */
  isPersonBound(personId: string): boolean;
  removePerson(personId: string, at: number, by: string): void;
  removedAt(personId: string): number | null;
  listRemoved(): { personId: string; removedAt: number }[];
  /** Whether an owner invite has ever been redeemed. */
  hasOwner(): boolean;
  close(): void;
}
