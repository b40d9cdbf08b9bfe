import { describe, expect, it } from "vitest";
import { SIZE_MEASURES, sizeText } from "../src/app/(console)/hosts/size-measures.ts";

describe("size measures", () => {
  it("names the measure beside a size that has no column header", () => {
    expect(sizeText(1536, "eventData")).toBe("1.5 KiB event data");
    expect(sizeText(3 * 1024 ** 3, "onDisk")).toBe("3 GiB on disk");
  });

  it("explains in each tooltip why the two differ", () => {
    expect(SIZE_MEASURES.onDisk.label).not.toBe(SIZE_MEASURES.eventData.label);
    expect(SIZE_MEASURES.onDisk.title).toMatch(/indexes/);
    expect(SIZE_MEASURES.eventData.title).toMatch(/less than the hosts' size on disk/);
  });
});
