import { Prisma } from "../generated/prisma/client.ts";

export type Tx = Prisma.TransactionClient;

export function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === undefined || value === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}

export async function logEvent(tx: Tx, migrationId: string, phase: string, message: string, details?: Record<string, unknown>): Promise<void> {
  await tx.migrationEvent.create({ data: { migrationId, phase, level: "info", message, details: json(details) } });
}
