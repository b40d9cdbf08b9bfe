"use client";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { streamNameSchema } from "@shardcast/core/validation";
import { ErrorNote } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const MAX_SHARDS = 1024;
const MAX_SHARDLETS_PER_SHARD = 64;

type Field = "name" | "shardCount" | "shardletsPerShard" | "keyField";

function wholeNumber(raw: string, label: string, min: number, max: number): string | null {
  if (raw.trim() === "") return `${label} is required`;
  const n = Number(raw);
  if (!Number.isInteger(n)) return `${label} must be a whole number`;
  if (n < min || n > max) return `${label} must be from ${min} to ${max}`;
  return null;
}

/** Checks the form the way the API will, so most mistakes show before a round trip. */
function validate(v: Record<Field, string>): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  const name = streamNameSchema.safeParse(v.name);
  if (!name.success) errors.name = name.error.issues[0]?.message ?? "invalid name";
  const shards = wholeNumber(v.shardCount, "shard count", 1, MAX_SHARDS);
  if (shards) errors.shardCount = shards;
  const per = wholeNumber(v.shardletsPerShard, "shardlets per shard", 1, MAX_SHARDLETS_PER_SHARD);
  if (per) errors.shardletsPerShard = per;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.keyField)) errors.keyField = "key field must be a payload field name (letters, digits, '_')";
  return errors;
}

export function CreateStreamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Field, string>>({ name: "", shardCount: "4", shardletsPerShard: "2", keyField: "key" });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const create = useMutation(
    trpc.streams.create.mutationOptions({
      onSuccess: async (stream) => {
        await queryClient.invalidateQueries({ queryKey: trpc.streams.list.queryKey() });
        router.push(`/streams/${encodeURIComponent(stream.name)}`);
      },
    }),
  );
  const serverErrors = fieldErrors(create.error);
  const shown = (f: Field) => errors[f] ?? serverErrors[f];

  const set = (f: Field) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    create.mutate({
      name: values.name,
      shardCount: Number(values.shardCount),
      shardletsPerShard: Number(values.shardletsPerShard),
      keyField: values.keyField,
    });
  };

  const field = (f: Field, label: string, input: ReactNode, hint?: string) => (
    <div className="field">
      <label htmlFor={`stream-${f}`}>{label}</label>
      {input}
      {shown(f) ? (
        <span className="field-error" id={`stream-${f}-error`} data-testid={`stream-${f}-error`}>
          {shown(f)}
        </span>
      ) : hint ? (
        <span className="hint">{hint}</span>
      ) : null}
    </div>
  );
  const inputProps = (f: Field) => ({
    id: `stream-${f}`,
    value: values[f],
    onChange: set(f),
    "aria-invalid": shown(f) ? true : undefined,
    "aria-describedby": shown(f) ? `stream-${f}-error` : undefined,
    "data-testid": `stream-${f}`,
  });

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="create-stream-form">
      {create.error && Object.keys(serverErrors).length === 0 ? <ErrorNote error={create.error} testId="create-stream-error" /> : null}
      <div className="form-row">
        {field("name", "Name", <input type="text" placeholder="orders" autoComplete="off" {...inputProps("name")} />, "a-z, 0-9, '.', '_', '-'")}
        {field("shardCount", "Shards", <input type="number" min={1} max={MAX_SHARDS} {...inputProps("shardCount")} />, `1 to ${MAX_SHARDS}`)}
        {field(
          "shardletsPerShard",
          "Shardlets per shard",
          <input type="number" min={1} max={MAX_SHARDLETS_PER_SHARD} {...inputProps("shardletsPerShard")} />,
          "initial split of each shard",
        )}
        {field("keyField", "Key field", <input type="text" {...inputProps("keyField")} />, "payload field used when an event has no key")}
      </div>
      <div>
        <button type="submit" disabled={create.isPending} data-testid="create-stream-submit">
          {create.isPending ? "Creating…" : "Create stream"}
        </button>
      </div>
    </form>
  );
}
