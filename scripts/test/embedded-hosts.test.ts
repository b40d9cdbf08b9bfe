import { describe, expect, it } from "vitest";
import { movedEmbeddedDsn } from "../start/embedded-hosts.ts";

const server = "postgres://postgres:s3cret-generated@127.0.0.1:54400/shardcast";

describe("storage hosts of an embedded server restarted on another port", () => {
  it("re-points the server's own databases at its new port, the rest of the DSN kept", () => {
    expect(movedEmbeddedDsn("postgres://postgres:s3cret-generated@127.0.0.1:54329/shardcast_host_2", server)).toBe(
      "postgres://postgres:s3cret-generated@127.0.0.1:54400/shardcast_host_2",
    );
    expect(movedEmbeddedDsn("postgresql://postgres:s3cret-generated@localhost:54329/shardcast_host_7?sslmode=disable", server)).toBe(
      "postgresql://postgres:s3cret-generated@127.0.0.1:54400/shardcast_host_7?sslmode=disable",
    );
  });

  it("leaves hosts already at the port, of another server, or of another machine alone", () => {
    expect(movedEmbeddedDsn("postgres://postgres:s3cret-generated@127.0.0.1:54400/shardcast_host_1", server)).toBeNull();
    // Another loopback server: its password is not the embedded server's.
    expect(movedEmbeddedDsn("postgres://postgres:other@127.0.0.1:5432/events", server)).toBeNull();
    expect(movedEmbeddedDsn("postgres://app:s3cret-generated@127.0.0.1:5432/events", server)).toBeNull();
    expect(movedEmbeddedDsn("postgres://postgres@127.0.0.1:5432/events", "postgres://postgres@127.0.0.1:54400/shardcast")).toBeNull();
    expect(movedEmbeddedDsn("postgres://postgres:s3cret-generated@10.0.0.5:54329/shardcast_host_1", server)).toBeNull();
    expect(movedEmbeddedDsn("not a url", server)).toBeNull();
  });
});
