import { describe, expect, it } from "vitest";
import { parseRoutingMessage } from "../src/routing-message.ts";

const route = { id: "a", streamId: "st", shardId: "sh", lo: 0, hi: 100, hostId: "h1", epoch: 1, state: "active", overflowPending: true, historyHostIds: ["h2"] };

describe("parseRoutingMessage", () => {
  it("reads a stream's announcement with its routes", () => {
    expect(parseRoutingMessage(JSON.stringify({ streamId: "st", patch: { retire: ["x"], routes: [route] } }))).toEqual({ streamId: "st", patch: { retire: ["x"], routes: [route] } });
    expect(parseRoutingMessage(JSON.stringify({ streamId: "st" }))).toEqual({ streamId: "st" });
  });

  it("drops a patch it cannot read but keeps the stream, so the edge reads the routes itself", () => {
    expect(parseRoutingMessage(JSON.stringify({ streamId: "st", patch: { retire: ["x"], routes: [{ ...route, state: "gone" }] } }))).toEqual({ streamId: "st" });
    expect(parseRoutingMessage(JSON.stringify({ streamId: "st", patch: { routes: [route] } }))).toEqual({ streamId: "st" });
  });

  it("refuses what is not a routing message", () => {
    expect(parseRoutingMessage("not json")).toBeNull();
    expect(parseRoutingMessage("[1]")).toBeNull();
    expect(parseRoutingMessage(JSON.stringify({ streamId: 7 }))).toBeNull();
  });
});
