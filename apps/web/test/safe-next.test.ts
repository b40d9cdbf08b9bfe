import { describe, expect, it } from "vitest";
import { safeNext } from "../src/lib/safe-next.ts";

describe("safeNext", () => {
  it("keeps a path of the console, with its query and fragment", () => {
    expect(safeNext("/streams/demo")).toBe("/streams/demo");
    expect(safeNext("/heatmap?stream=demo#top")).toBe("/heatmap?stream=demo#top");
    expect(safeNext(["/hosts", "/users"])).toBe("/hosts");
  });

  it("sends every way of naming another site to the start page", () => {
    for (const raw of ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "\\/evil.example", "https://evil.example/", "evil.example", "/\\\\evil.example/x"]) {
      expect(safeNext(raw), JSON.stringify(raw)).toBe("/");
    }
    expect(safeNext(undefined)).toBe("/");
    expect(safeNext("")).toBe("/");
  });

  it("returns the path as a browser would read it, so what is followed is what was checked", () => {
    expect(safeNext("/a/../hosts")).toBe("/hosts");
    expect(safeNext("/a\\b")).toBe("/a/b");
  });
});
