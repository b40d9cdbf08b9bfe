import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

// Text PostgreSQL cannot store (a NUL, an unpaired surrogate) in any console input used to reach
// the database and fail there with a 500, or be stored with the surrogate replaced by U+FFFD.
describe("console input PostgreSQL cannot store", () => {
  let h: Harness;
  let admin: string;
  let counts: () => Promise<number[]>;
  let before: number[];
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.sessionFor("admin");
    counts = async () => [await h.db.user.count(), await h.db.apiKey.count(), await h.db.host.count(), await h.db.operation.count()];
    before = await counts();
  });
  afterAll(async () => {
    expect(await counts()).toEqual(before);
    await h.close();
  });

  const cases: Array<[string, "query" | "mutation", string, Record<string, unknown>, string, RegExp]> = [
    ["a NUL in a user's name", "mutation", "users.create", { email: "ann@example.com", name: "Ann\u0000", password: "long enough", role: "viewer" }, "name", /NUL/],
    ["a NUL in a user's email", "mutation", "users.create", { email: "ann\u0000@example.com", name: "Ann", password: "long enough", role: "viewer" }, "email", /NUL/],
    ["an unpaired surrogate in an API key's name", "mutation", "apikeys.create", { name: "ingest \ud800", streams: ["*"] }, "name", /surrogate/],
    ["a NUL in a host's DSN", "mutation", "hosts.register", { name: "h9", dsn: "postgres://u@127.0.0.1:5432/db\u0000" }, "dsn", /NUL/],
    ["a host's DSN longer than any server needs", "mutation", "hosts.register", { name: "h9", dsn: `postgres://u@127.0.0.1:5432/db?application_name=${"x".repeat(4096)}` }, "dsn", /longer than 2048/],
    ["a NUL in a rejection reason", "mutation", "migrations.reject", { id: "m1", reason: "not now\u0000" }, "reason", /NUL/],
    ["an unpaired surrogate in a promotion reason", "mutation", "models.promote", { id: "v1", reason: "better \udc00" }, "reason", /surrogate/],
    ["a NUL in an id", "mutation", "apikeys.revoke", { id: "\u0000" }, "id", /NUL/],
    ["a NUL in a proposal id", "mutation", "analyzer.dismiss", { proposalId: "p\u0000" }, "proposalId", /NUL/],
    ["a NUL in a filter", "query", "heatmap.cells", { hostId: "\u0000" }, "hostId", /NUL/],
    ["a NUL in an operation kind", "query", "operations.list", { kind: "shardlet.\u0000" }, "kind", /NUL/],
  ];
  for (const [what, kind, path, input, field, message] of cases) {
    it(`${what} is a 400 naming the field`, async () => {
      const res = await h.call(kind, path, input, admin);
      expect(res.status).toBe(400);
      expect(res.error?.data.scCode).toBe("validation_failed");
      expect(res.error?.data.details?.rejected).toEqual([{ index: 0, path: field, message: expect.stringMatching(message) as string }]);
    });
  }

  it("signing in with a NUL in the email is a 400, not a server error", async () => {
    const res = await h.call("mutation", "auth.signIn", { email: "admin\u0000@example.com", password: "whatever" });
    expect(res.status).toBe(400);
    expect(res.error?.data.details?.rejected?.[0]?.path).toBe("email");
  });
});
