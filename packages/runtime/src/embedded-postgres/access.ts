import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";

/** The account PostgreSQL runs as when the starter is root (the server refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The `postgres` account's ids, or null when there is no such account. */
export function postgresAccount(): RunAs | null {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/** Creates the `postgres` account (root only), as PostgreSQL's own packages do. */
export function createPostgresAccount(): RunAs {
  try {
    execFileSync("groupadd", ["--system", "postgres"], { stdio: "ignore" });
  } catch {
    // The group may exist without the user; useradd below is what must succeed.
  }
  try {
    execFileSync("useradd", ["--system", "-g", "postgres", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], {
      stdio: "ignore",
    });
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL cannot run as root and creating a "postgres" account failed (${err instanceof Error ? err.message : String(err)}): ` +
        "create one (useradd postgres) or start Shardcast as an ordinary user",
    );
  }
  const ids = postgresAccount();
  if (!ids) throw new Error('created the "postgres" account but cannot read its ids');
  return ids;
}

/**
 * True when `who` may enter every folder from the file system root down to `target` (and the
 * target itself), judged by the mode bits. Why: as root, PostgreSQL runs as another account, and a
 * checkout inside a mode-700 home directory or a `mktemp -d` folder is invisible to it: initdb then
 * dies with a bare EACCES. Knowing in advance lets the start relocate or say what to do.
 * ACLs and supplementary groups are not considered: a false "no" only costs a relocation.
 */
export function canEnter(target: string, who: RunAs): boolean {
  let dir = path.resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    let st;
    try {
      st = statSync(d);
    } catch {
      // A folder that does not exist yet will be created by root inside the last existing one.
      continue;
    }
    const mode = st.mode;
    const allowed = st.uid === who.uid ? (mode & 0o100) !== 0 : st.gid === who.gid ? (mode & 0o010) !== 0 : (mode & 0o001) !== 0;
    if (!allowed) return false;
  }
  return true;
}
