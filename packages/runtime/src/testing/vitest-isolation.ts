import { configDefaults, type TestProjectInlineConfiguration } from "vitest/config";

/**
 * Vitest options that load a workspace's modules once per worker process instead of once per
 * test file. Importing the app, the database client and their dependencies took a test file
 * seconds of a core on its own, more than many of the files' tests; under `npm test`, where
 * every workspace shares two cores, that was the larger part of the suites' time. Each file
 * still has its own databases, key prefixes and queue names, so sharing modules shares no state
 * the tests depend on.
 *
 * `isolated` lists the files that replace a module with `vi.mock` (only a fresh module graph
 * gives them their replacement): they run in a project of their own with the usual isolation.
 * A config with such files must not set `include` itself: a project's `include` is added to it.
 */
export function sharedModules(isolated: string[] = []): { isolate?: boolean; projects?: TestProjectInlineConfiguration[] } {
  if (isolated.length === 0) return { isolate: false };
  return {
    projects: [
      { extends: true, test: { name: "shared", isolate: false, exclude: [...configDefaults.exclude, ...isolated] } },
      { extends: true, test: { name: "isolated", include: isolated } },
    ],
  };
}
