import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { errorMessage, fieldErrors } from "../src/lib/errors.ts";
import { quotaProblem } from "../src/app/(console)/api-keys/quota-form.tsx";
import { capacityProblem as hostCapacityProblem } from "../src/app/(console)/hosts/register-host-form.tsx";
import { capacityProblem as lifecycleCapacityProblem } from "../src/app/(console)/settings/lifecycle-settings-form.tsx";

/** An input error as the API sends it: each issue prefixed with its path, joined with "; ". */
function inputError(rejected: Array<{ path: string; message: string }>, message = rejected.map((r) => r.message).join("; ")) {
  const data = { code: "BAD_REQUEST", httpStatus: 400, scCode: "validation_failed", details: { rejected: rejected.map((r) => ({ index: 0, ...r })) } };
  return TRPCClientError.from({ error: { message, code: -32600, data } });
}

describe("input error messages", () => {
  it("drops the path when the message names the field, and a second message for the same field", () => {
    expect(errorMessage(inputError([{ path: "name", message: "name: name is longer than 100 characters" }]))).toBe("name is longer than 100 characters");
    const quota = inputError([
      { path: "quota.produceEventsPerSec", message: "quota.produceEventsPerSec: a limit is a whole number" },
      { path: "quota.produceEventsPerSec", message: "quota.produceEventsPerSec: Too big: expected number to be <=2147483647" },
    ]);
    expect(errorMessage(quota)).toBe("quota.produceEventsPerSec: a limit is a whole number");
    expect(errorMessage(quota, { produceEventsPerSec: "Produce events/s" })).toBe("Produce events/s: a limit is a whole number");
    expect(fieldErrors(quota)).toEqual({ quota: "a limit is a whole number" });
  });

  it("keeps a message the server wrote itself", () => {
    const own = inputError([{ path: "currentPassword", message: "The current password is not right." }], "Check the form.");
    expect(errorMessage(own)).toBe("Check the form.");
    expect(errorMessage(inputError([{ path: "currentPassword", message: "That password is not right." }]))).toBe("That password is not right.");
  });
});

describe("bounds the forms check before sending", () => {
  it("API key limits: whole, at least 1, at most the 32-bit column's maximum", () => {
    expect(quotaProblem("Produce events/s", "1e30")).toBe("Produce events/s must be a whole number from 1 to 2,147,483,647, or empty for no limit.");
    expect(quotaProblem("Produce events/s", "2147483648")).not.toBeNull();
    expect(quotaProblem("Produce events/s", "2.5")).not.toBeNull();
    expect(quotaProblem("Produce events/s", "2147483647")).toBeNull();
    expect(quotaProblem("Produce events/s", "")).toBeNull();
  });

  it("host capacity: whole MiB up to 2^53 - 1 bytes, never Infinity", () => {
    expect(hostCapacityProblem("1e308")).toBe("Capacity must be a whole number of MiB from 1 to 8,589,934,591 (8 PiB)");
    expect(hostCapacityProblem("8589934592")).not.toBeNull();
    expect(hostCapacityProblem("8589934591")).toBeNull();
    expect(hostCapacityProblem("")).toBeNull();
  });

  it("lifecycle capacity: the schema's bounds, in the unit typed", () => {
    expect(lifecycleCapacityProblem("999999999999999", "MiB")).toBe("Initial shardlet capacity must be from 4 KiB to 1 GiB, that is at most 1,024 MiB");
    expect(lifecycleCapacityProblem("2", "KiB")).toMatch(/at most 1,048,576 KiB$/);
    expect(lifecycleCapacityProblem("64", "KiB")).toBeNull();
    expect(lifecycleCapacityProblem("x", "MiB")).toBeNull();
  });
});
