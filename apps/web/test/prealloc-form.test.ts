import { describe, expect, it } from "vitest";
import { preallocSettingsSchema } from "@shardcast/core/prealloc/settings";
import { parsePreallocForm, PREALLOC_FIELDS, toPreallocValues } from "../src/app/(console)/settings/prealloc-fields.ts";
import { plainSettingsMessage } from "../src/lib/settings-form.ts";

const defaults = preallocSettingsSchema.parse({});

describe("pre-allocation settings form", () => {
  it("edits every setting, aggressiveness first, and reads the defaults back unchanged", () => {
    expect(PREALLOC_FIELDS.map((f) => f.field).sort()).toEqual(Object.keys(defaults).sort());
    expect(PREALLOC_FIELDS[0]!.field).toBe("aggressiveness");
    expect(PREALLOC_FIELDS[0]!.hint).toContain("0 = reactive only");
    expect(parsePreallocForm(toPreallocValues(defaults))).toEqual({ value: defaults, errors: {} });
    expect(parsePreallocForm({ ...toPreallocValues(defaults), aggressiveness: " 0.35 " }).value).toEqual({ ...defaults, aggressiveness: 0.35 });
  });

  it("says what is wrong with each field in plain words and gives no value", () => {
    const { value, errors } = parsePreallocForm({ ...toPreallocValues(defaults), aggressiveness: "1.5", horizonSec: "2.5", maxConcurrent: "", surgeFactor: "x" });
    expect(value).toBeNull();
    expect(errors).toEqual({ aggressiveness: "must be at most 1", horizonSec: "must be a whole number", maxConcurrent: "enter a value", surgeFactor: "enter a number" });
    // The schema's own message for a combination stays as it is, on the field the schema names.
    expect(parsePreallocForm({ ...toPreallocValues(defaults), horizonSec: "5", graceSec: "0", stepSec: "10" }).errors).toEqual({ graceSec: "horizon plus grace must cover one step" });
  });

  it("rewords zod's stock range messages only", () => {
    expect(plainSettingsMessage("Too small: expected number to be >=0.01")).toBe("must be at least 0.01");
    expect(plainSettingsMessage("Too big: expected number to be <1")).toBe("must be below 1");
    expect(plainSettingsMessage("maximum hosts must be at least the minimum")).toBe("maximum hosts must be at least the minimum");
  });
});
