/**
 * Which parts of an incoming awareness update the relay applies.
 *
 * A connection may set and remove only the awareness client ids it announced
 * itself. Every y-websocket client echoes the presence it receives back to
 * the relay (its awareness handler forwards every change, whatever its
 * origin), and tabs of one browser forward each other's presence over
 * BroadcastChannel; so an entry is judged by what it would change:
 *
 * - An entry that changes nothing (a clock the relay already has, or an equal
 *   clock removing a state, which is how a client's own 30 s timeout of a peer
 *   comes back) is skipped: it is an echo, never an offence.
 * - An entry that would change the presence of a client id another live
 *   connection owns is refused (close 1008, nothing of the update applied)
 *   unless both connections are the same client: the same person (after
 *   admission) or, with open access, the same remote address. Then it is the
 *   other tab's forwarding, or a reconnection whose old socket the heartbeat
 *   has not yet closed, and it is skipped instead.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Awareness } from 'y-protocols/awareness';

export interface AwarenessEntry {
  clientId: number;
  clock: number;
  /** The state's JSON exactly as sent. */
  json: Uint8Array;
  state: unknown;
}

/** Reads every entry; throws on anything that does not decode. */
export function decodeAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  const text = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarUint8Array(decoder);
    entries.push({ clientId, clock, json, state: JSON.parse(text.decode(json)) });
  }
  return entries;
}

export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    // The same bytes y-protocols writes with writeVarString.
    encoding.writeVarUint8Array(encoder, entry.json);
  }
  return encoding.toUint8Array(encoder);
}

export const MAX_USER_NAME_LENGTH = 100;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** Why a state's `user` field is refused, or null when it is fine or absent. */
export function userFieldProblem(state: unknown): string | null {
  if (state === null || typeof state !== 'object' || !('user' in state)) return null;
  const user: unknown = state.user;
  if (user === null || typeof user !== 'object' || Array.isArray(user)) {
    return 'awareness user must be an object';
  }
  if ('name' in user) {
    const name = user.name;
    if (typeof name !== 'string' || [...name].length > MAX_USER_NAME_LENGTH) {
      return `awareness user name must be text of at most ${MAX_USER_NAME_LENGTH} characters`;
    }
  }
  if ('color' in user) {
    const color = user.color;
    if (typeof color !== 'string' || !COLOR.test(color)) {
      return 'awareness user color must be a colour like #1f6feb';
    }
  }
  return null;
}

export interface ReviewContext<C> {
  awareness: Awareness;
  /** Which live connection owns each client id. */
  owners: ReadonlyMap<number, C>;
  /** The connection that sent the update. */
  self: C;
  /** How many client ids `self` owns now. */
  ownedBySelf: number;
  /** Whether another connection is the same client as `self` (see the top of this file). */
  sameClient(other: C): boolean;
  maxStateBytes: number;
  maxClients: number;
}

export type Review =
  | {
      ok: true;
      /** Entries to apply, in order; empty when the update changes nothing. */
      apply: AwarenessEntry[];
      /** Client ids `self` announces (a state set) and gives up (a state removed). */
      claimed: number[];
      released: number[];
    }
  | { ok: false; reason: string };

export function reviewAwarenessUpdate<C>(entries: AwarenessEntry[], ctx: ReviewContext<C>): Review {
  const seen = new Set<number>();
  const apply: AwarenessEntry[] = [];
  const claimed: number[] = [];
  const released: number[] = [];
  for (const entry of entries) {
    const { clientId, clock, state } = entry;
    if (seen.has(clientId)) {
      return { ok: false, reason: `awareness client id ${clientId} appears twice in one update` };
    }
    seen.add(clientId);
    if (ctx.maxStateBytes > 0 && entry.json.byteLength > ctx.maxStateBytes) {
      return {
        ok: false,
        reason: `awareness state of ${entry.json.byteLength} bytes is over the ${ctx.maxStateBytes}-byte limit`
      };
    }
    const problem = userFieldProblem(state);
    if (problem) return { ok: false, reason: problem };
    if (clientId === ctx.awareness.clientID) {
      return { ok: false, reason: `awareness client id ${clientId} is the relay's own` };
    }

    const current = ctx.awareness.meta.get(clientId)?.clock ?? 0;
    const changes =
      current < clock ||
      (current === clock && state === null && ctx.awareness.states.has(clientId));
    if (!changes) continue;
    const owner = ctx.owners.get(clientId);
    if (owner !== undefined && owner !== ctx.self) {
      // A peer's timeout coming back: the owner renews its state if it is alive.
      if (current === clock) continue;
      // Forwarded by another tab of the same client: the owner sends it too.
      if (ctx.sameClient(owner)) continue;
      return {
        ok: false,
        reason: `awareness client id ${clientId} belongs to another connection`
      };
    }
    if (state === null) {
      if (owner === ctx.self) released.push(clientId);
    } else if (owner === undefined) {
      claimed.push(clientId);
    }
    apply.push(entry);
  }
  if (ctx.maxClients > 0 && ctx.ownedBySelf + claimed.length - released.length > ctx.maxClients) {
    return {
      ok: false,
      reason: `more than ${ctx.maxClients} awareness client ids on one connection`
    };
  }
  return { ok: true, apply, claimed, released };
}
