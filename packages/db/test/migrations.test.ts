import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyControlMigrations, type ControlDb } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

describe("control-plane migrations", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };

  beforeAll(async () => {
    // Not the migrated template: this file tests the migration run itself.
    control = await createTestControlDb({ template: false });
  });
  afterAll(async () => {
    await control?.drop();
  });

  it("creates every table of the schema", async () => {
    const client = new pg.Client({ connectionString: control.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          "users", "sessions", "api_keys", "hosts", "streams", "shards", "shardlets",
          "settings", "setting_audit", "operations", "metric_samples", "_prisma_migrations",
        ]),
      );
      const applied = await client.query("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL");
      expect(applied.rowCount).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it("is a no-op the second time and streams the CLI's lines", async () => {
    const lines: string[] = [];
    await applyControlMigrations(control.url, (l) => lines.push(l));
    expect(lines.some((l) => /No pending migrations/i.test(l))).toBe(true);
    expect(await control.db.user.count()).toBe(0);
  });

  it("fails with a redacted message when the database cannot be reached", async () => {
    const lines: string[] = [];
    const err = await applyControlMigrations("postgres://nobody:topsecret@127.0.0.1:1/none", (l) => lines.push(l)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain("topsecret");
    expect(lines.join("\n")).not.toContain("topsecret");
  });
});
