import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { passwordHashCost } from "./env.ts";

// scrypt cost N = 2^17 by default (current guidance): ~0.35 s of one core and 128 MiB per hash;
// SHARDCAST_PASSWORD_HASH_COST sets another. Older or weaker hashes keep their own parameters and
// are upgraded at the next sign-in (`needsRehash`).
function params(logN = passwordHashCost()): { N: number; r: number; p: number } {
  return { N: 2 ** logN, r: 8, p: 1 };
}
const KEY_LENGTH = 64;
// scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) is below that.
const MAX_MEMORY = 256 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * `scrypt$N$r$p$<salt b64url>$<hash b64url>`: parameters travel with the hash so they can change.
 * `logN` defaults to the process's setting.
 */
export async function hashPassword(password: string, logN?: number): Promise<string> {
  const salt = randomBytes(16);
  const p = params(logN);
  const key = await scryptAsync(password, salt, KEY_LENGTH, { ...p, maxmem: MAX_MEMORY });
  return ["scrypt", p.N, p.r, p.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): StoredHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const key = Buffer.from(parts[5]!, "base64url");
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || key.length === 0) return null;
  // A corrupt row must not make one sign-in allocate gigabytes.
  if (128 * N * r * p > MAX_MEMORY) return null;
  return { N, r, p, salt: Buffer.from(parts[4]!, "base64url"), key };
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseHash(stored);
  if (!hash) return false;
  const actual = await scryptAsync(password, hash.salt, hash.key.length, { N: hash.N, r: hash.r, p: hash.p, maxmem: MAX_MEMORY });
  return timingSafeEqual(actual, hash.key);
}

/** True when a stored hash is weaker than what `hashPassword` makes now (or unreadable). */
export function needsRehash(stored: string): boolean {
  const hash = parseHash(stored);
  const want = params();
  return !hash || hash.N < want.N || hash.r < want.r || hash.p < want.p || hash.key.length < KEY_LENGTH;
}

/**
 * Compared against when the email is unknown, so a sign-in for a missing user costs the same
 * scrypt work as one for an existing user.
 */
let decoyHash: Promise<string> | null = null;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(12).toString("base64url"));
  return decoyHash;
}
