import { describe, expect, it } from "vitest";
import { lifecycleSettingsSchema } from "@shardcast/core/lifecycle/settings";
import { fromForm, toForm, type FormValues } from "../src/lib/lifecycle-form.ts";
import { formatSettingValue } from "../src/lib/lifecycle-fields.ts";
import { formatBytes, formatDuration } from "../src/lib/format.ts";

const defaults = lifecycleSettingsSchema.parse({});

describe("lifecycle settings form", () => {
  it("shows the capacity in the unit that keeps it exact and reads it back unchanged", () => {
    const tenMiB = toForm(defaults);
    expect(tenMiB).toMatchObject({ capacity: "10", capacityUnit: "MiB", splitThreshold: "0.8" });
    expect(fromForm(tenMiB)).toEqual({ value: defaults, errors: {} });

    for (const bytes of [64 * 1024, 1536 * 1024, 4096, 5000, 1024 * 1024 * 1024]) {
      const form = toForm({ ...defaults, initialCapacityBytes: bytes });
      expect(fromForm(form).value?.initialCapacityBytes).toBe(bytes);
    }
    expect(toForm({ ...defaults, initialCapacityBytes: 64 * 1024 })).toMatchObject({ capacity: "64", capacityUnit: "KiB" });
    expect(toForm({ ...defaults, initialCapacityBytes: 1536 * 1024 })).toMatchObject({ capacity: "1.5", capacityUnit: "MiB" });
  });

  it("gives each invalid field the schema's message and no value", () => {
    const form: FormValues = { ...toForm(defaults), splitThreshold: "1.5", capacity: "2", capacityUnit: "KiB", splitWriteRate: "", minShardletWidth: "abc" };
    const { value, errors } = fromForm(form);
    expect(value).toBeNull();
    expect(errors).toEqual({
      splitThreshold: "split threshold must be at most 0.99",
      initialCapacityBytes: "initial capacity must be at least 4 KiB",
      splitWriteRate: "enter a value",
      minShardletWidth: "enter a number",
    });
  });

  it("puts the cross-field rule on the merge threshold", () => {
    const { errors } = fromForm({ ...toForm(defaults), splitThreshold: "0.3" });
    expect(Object.keys(errors)).toEqual(["mergeThreshold"]);
    expect(errors.mergeThreshold).toMatch(/less than half the split threshold/);
  });
});

describe("formatting", () => {
  it("formats capacities, audit values, sizes and durations", () => {
    expect(formatBytes(64 * 1024)).toBe("64 KiB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MiB");
    expect(formatBytes(5000)).toBe("4.9 KiB");
    expect(formatSettingValue("splitThreshold", 0.25)).toBe("0.25 (25%)");
    expect(formatSettingValue("enabled", false)).toBe("off");
    expect(formatSettingValue("splitWriteRate", 5000)).toBe("5,000 events/s");
    expect(formatSettingValue("initialCapacityBytes", 64 * 1024)).toBe("64 KiB");
    expect(formatBytes(11.46 * 1024)).toBe("11.5 KiB");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(192_000)).toBe("3 min 12 s");
  });
});
