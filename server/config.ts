import { resolve } from 'node:path';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../src/lib/model/protocol.js';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  maxMessageBytes: number;
  idleUnloadMs: number;
}

/** Reads the environment, with a plain-words error for every bad value. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    port: intFrom(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: resolve(env.DATA_DIR?.trim() || './data'),
    maxMessageBytes: intFrom(env, 'MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1024, 2 ** 30),
    idleUnloadMs: intFrom(env, 'IDLE_UNLOAD_MS', 30_000, 0, 24 * 3600 * 1000)
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
