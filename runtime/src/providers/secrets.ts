import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@flowloom/nodes';
import { createFileOnce, createPrivateDir } from '../platform/private-files.js';

/** The generated key file in the data folder when FLOWLOOM_SECRET_KEY is not set. */
export const SECRET_KEY_FILE = 'secret.key';

/** A value encrypted at rest: AES-256-GCM, a fresh 12-byte IV per value, the 16-byte auth tag beside it. */
export interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Encrypts small secrets (provider API keys) for storage. The 256-bit key comes from FLOWLOOM_SECRET_KEY (any string:
 * hashed with SHA-256; use 32+ random characters) or from `secret.key` in the data folder, generated on first use with
 * mode 0600. Losing the key makes stored secrets unreadable (they must be entered again), never readable by others.
 */
export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  static fromPassphrase(passphrase: string): SecretBox {
    return new SecretBox(createHash('sha256').update(passphrase, 'utf8').digest());
  }

  /** The configured key, or the data folder's key file (created 0600 when missing; refused when readable by others). */
  static open(dataDir: string, passphrase?: string): SecretBox {
    if (passphrase) return SecretBox.fromPassphrase(passphrase);
    createPrivateDir(dataDir);
    const file = join(dataDir, SECRET_KEY_FILE);
    // Whole or not at all: an api and a worker started at once on a fresh folder each make one; the first stays.
    if (!existsSync(file)) createFileOnce(file, randomBytes(32).toString('base64'));
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new AppError('SERVICE_NOT_CONFIGURED', `${file} must hold 32 bytes in base64 (delete it to generate one)`);
    }
    return new SecretBox(key);
  }

  seal(plain: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      v: 1,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** Decrypts; throws SERVICE_NOT_CONFIGURED when the key changed or the value was tampered with. */
  open(sealed: Sealed): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new AppError(
        'SERVICE_NOT_CONFIGURED',
        'a stored secret cannot be decrypted (FLOWLOOM_SECRET_KEY or the key file changed): set it again',
        { cause: err },
      );
    }
  }
}

/** A secret shown masked: its first 3 and last 4 characters (`sk-…wxyz`), or `…` for short ones. */
export function maskSecret(secret: string): string {
  return secret.length >= 12 ? `${secret.slice(0, 3)}…${secret.slice(-4)}` : '…';
}
