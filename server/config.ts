import { resolve } from 'node:path';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../src/lib/model/protocol.js';
import { DEFAULT_LIMITS, type RelayLimits } from './relay/limits.js';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  maxMessageBytes: number;
  idleUnloadMs: number;
  /** A loaded room's quiet period before its document is kept encoded (ENCODE_AFTER_QUIET_MS; 0: never). */
  encodeAfterQuietMs: number;
  /** Origins allowed to open sockets besides the app's own (ALLOWED_ORIGINS, comma-separated). */
  allowedOrigins: string[];
  /** The address people reach the app at, for printed links (PUBLIC_URL). */
  publicUrl: string | null;
  /** What one client may cost the relay; see docs/limits.md. */
  limits: RelayLimits;
}

/** Reads the environment, with a plain-words error for every bad value. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    port: intFrom(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    maxMessageBytes: intFrom(env, 'MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1024, 2 ** 30),
    idleUnloadMs: intFrom(env, 'IDLE_UNLOAD_MS', 30_000, 0, 24 * 3600 * 1000),
    encodeAfterQuietMs: intFrom(env, 'ENCODE_AFTER_QUIET_MS', 10_000, 0, 24 * 3600 * 1000),
    allowedOrigins: originsFrom(env, 'ALLOWED_ORIGINS'),
    publicUrl: urlFrom(env, 'PUBLIC_URL'),
    limits: limitsFromEnv(env)
  };
}

function intFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`);
  }
  return value;
}

function originsFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw.split(',').map((part) => {
    const value = part.trim();
    try {
      const url = new URL(value);
      if (url.origin === 'null') throw new Error('no origin');
      return url.origin;
    } catch {
      throw new Error(`${name} must list origins like https://docs.example.com; got "${value}"`);
    }
  });
}

function urlFrom(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    return new URL(raw).origin;
  } catch {
    throw new Error(`${name} must be a URL like https://docs.example.com; got "${raw}"`);
  }
}

/** The per-client limits of docs/limits.md; 0 turns one off. */
function limitsFromEnv(env: NodeJS.ProcessEnv): RelayLimits {
  const d = DEFAULT_LIMITS;
  const limits: RelayLimits = {
    messagesPerSecond: intFrom(env, 'RATE_MESSAGES_PER_SECOND', d.messagesPerSecond, 0, 1e6),
    messageBurst: intFrom(env, 'RATE_MESSAGES_BURST', d.messageBurst, 1, 1e7),
    bytesPerSecond: intFrom(env, 'RATE_BYTES_PER_SECOND', d.bytesPerSecond, 0, 2 ** 40),
    byteBurst: intFrom(env, 'RATE_BYTES_BURST', d.byteBurst, 1, 2 ** 40),
    inboxPauseMessages: intFrom(env, 'INBOX_PAUSE_MESSAGES', d.inboxPauseMessages, 1, 1e6),
    inboxResumeMessages: intFrom(env, 'INBOX_RESUME_MESSAGES', d.inboxResumeMessages, 0, 1e6),
    inboxMaxMessages: intFrom(env, 'INBOX_MAX_MESSAGES', d.inboxMaxMessages, 0, 1e7),
    sendBufferMaxBytes: intFrom(env, 'SEND_BUFFER_MAX_BYTES', d.sendBufferMaxBytes, 0, 2 ** 40),
    awarenessMaxBytes: intFrom(env, 'AWARENESS_MAX_BYTES', d.awarenessMaxBytes, 0, 2 ** 30),
    awarenessMaxClients: intFrom(env, 'AWARENESS_MAX_CLIENTS', d.awarenessMaxClients, 0, 1e6),
    maxConnectionsPerAddress: intFrom(
      env,
      'MAX_CONNECTIONS_PER_ADDRESS',
      d.maxConnectionsPerAddress,
      0,
      1e7
    ),
    maxLoadedRooms: intFrom(env, 'MAX_LOADED_ROOMS', d.maxLoadedRooms, 0, 1e7),
    heartbeatMs: intFrom(env, 'HEARTBEAT_MS', d.heartbeatMs, 0, 3600 * 1000)
  };
  const maxMessageBytes = intFrom(
    env,
    'MAX_MESSAGE_BYTES',
    DEFAULT_MAX_MESSAGE_BYTES,
    1024,
    2 ** 30
  );
  if (limits.bytesPerSecond > 0 && limits.byteBurst < maxMessageBytes) {
    throw new Error(
      `RATE_BYTES_BURST (${limits.byteBurst}) must be at least MAX_MESSAGE_BYTES ` +
        `(${maxMessageBytes}): a client could never send its largest allowed message`
    );
  }
  if (limits.inboxResumeMessages >= limits.inboxPauseMessages) {
    throw new Error(
      `INBOX_RESUME_MESSAGES (${limits.inboxResumeMessages}) must be below ` +
        `INBOX_PAUSE_MESSAGES (${limits.inboxPauseMessages})`
    );
  }
  return limits;
}
