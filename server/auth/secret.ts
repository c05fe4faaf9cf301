/**
 * The relay's signing secret: 32 random bytes made on first start in
 * DATA_DIR/secret.key, readable by the owner only. Every credential is signed
 * with it; losing it signs every device out, so backups carry it.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const SECRET_FILE = 'secret.key';
const MIN_BYTES = 32;

export function secretPath(dataDir: string): string {
  return join(dataDir, SECRET_FILE);
}

/** Reads the secret, making it on first start; returns whether it was made now. */
export function loadOrCreateSecret(dataDir: string): { secret: Uint8Array; created: boolean } {
  const path = secretPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(MIN_BYTES).toString('base64url') + '\n', {
      flag: 'wx',
      mode: 0o600
    });
    return { secret: readSecret(path), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new Error(`Cannot create the signing secret at ${path}: ${(error as Error).message}`, {
        cause: error
      });
    }
  }
  // Someone loosened the permissions: tighten them rather than refuse to start.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { secret: readSecret(path), created: false };
}

function readSecret(path: string): Uint8Array {
  const text = readFileSync(path, 'utf8').trim();
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.byteLength < MIN_BYTES) {
    throw new Error(
      `The signing secret at ${path} is damaged (${bytes.byteLength} bytes, needs ${MIN_BYTES}). ` +
        'Restore it from a backup, or delete it to make a new one (every device then joins again).'
    );
  }
  return new Uint8Array(bytes);
}
