// What npm start and npm run start:cluster give a fresh clone: dev API tokens for each role and
// a payload encryption key made once and kept beside the data it encrypts.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEV_TOKENS = {
  app: 'dev-app-token-0001',
  support: 'dev-support-token-0001',
  admin: 'dev-admin-token-0001',
};

/** API_TOKENS with the dev tokens. */
export const devApiTokens = (): string =>
  `checkout:app:${DEV_TOKENS.app},support:support:${DEV_TOKENS.support},admin:admin:${DEV_TOKENS.admin}`;

/**
 * PAYLOAD_ENCRYPTION_KEYS for the embedded default: made once, kept in `dataDir` beside the
 * histories it encrypts. To rotate, put a new `id:key` first in that file.
 */
export function devPayloadKeys(dataDir: string): string {
  const file = path.join(dataDir, 'payload-encryption-keys');
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `dev-1:${randomBytes(32).toString('base64')}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
