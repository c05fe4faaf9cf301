/**
 * What one client may cost the relay. Every limit closes only the connection
 * that passed it (or refuses only its upgrade); docs/limits.md lists each one
 * with its environment variable and the reasoning behind its default.
 *
 * A value of 0 turns a limit off (except the inbox watermarks, which are
 * flow control rather than a limit).
 */
export interface RelayLimits {
  /** Sustained incoming messages per second per connection. */
  messagesPerSecond: number;
  /** Messages a connection may send at once before the sustained rate applies. */
  messageBurst: number;
  /** Sustained incoming bytes per second per connection. */
  bytesPerSecond: number;
  /** Bytes a connection may send at once; at least the largest frame allowed. */
  byteBurst: number;
  /** Queued (received, not yet handled) messages at which reading the socket pauses. */
  inboxPauseMessages: number;
  /** Queued messages at or under which reading resumes. */
  inboxResumeMessages: number;
  /** Queued messages that close a connection whose transport cannot pause. */
  inboxMaxMessages: number;
  /** Bytes queued for a client that does not read, above which it is closed. */
  sendBufferMaxBytes: number;
  /** Largest awareness state (its JSON, in bytes). */
  awarenessMaxBytes: number;
  /** Awareness client ids one connection may hold at once. */
  awarenessMaxClients: number;
  /** Open sockets from one remote address (checked at the upgrade). */
  maxConnectionsPerAddress: number;
  /** Rooms in memory at once; a connection to another room is refused at the upgrade. */
  maxLoadedRooms: number;
  /** Interval of the ping that finds dead sockets; one missed round closes them. */
  heartbeatMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<RelayLimits> = Object.freeze({
  messagesPerSecond: 300,
  messageBurst: 3000,
  bytesPerSecond: 8 * MiB,
  byteBurst: 64 * MiB,
  inboxPauseMessages: 256,
  inboxResumeMessages: 64,
  inboxMaxMessages: 4096,
  sendBufferMaxBytes: 32 * MiB,
  awarenessMaxBytes: 16 * 1024,
  awarenessMaxClients: 64,
  maxConnectionsPerAddress: 2000,
  maxLoadedRooms: 5000,
  heartbeatMs: 30_000
});

export function resolveLimits(limits: Partial<RelayLimits> = {}): RelayLimits {
  const resolved = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(limits) as [keyof RelayLimits, number | undefined][]) {
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}

/**
 * A token bucket: `burst` tokens to start with, refilled at `rate` per
 * second. A rate of 0 never runs dry.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now()
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `cost` tokens if there are that many; false (taking none) if not. */
  take(cost: number): boolean {
    if (this.rate <= 0) return true;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

/** The address one host's connections are counted under ("::ffff:1.2.3.4" is 1.2.3.4). */
export function addressKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
}
