import {
  countUsers,
  createApiKey,
  createStream,
  createUser,
  getStreamByName,
  listApiKeys,
  listHosts,
  registerHost,
  revokeApiKey,
  type ControlDb,
  type HostPool,
} from "@shardcast/db";
import type { StartConfig } from "../env.ts";

export const DEMO_STREAM = "demo";
const DEMO_KEY_NAME = "demo-producer";

/**
 * First-start state: the admin (when given by env), the storage hosts, the demo stream and a fresh
 * key for the demo producer. Every step checks what exists, so a second start reuses the data.
 */
export async function seed(
  db: ControlDb,
  hosts: HostPool,
  cfg: StartConfig,
  hostDsns: string[],
  say: (line: string) => void,
): Promise<{ demoToken: string | null; adminSeeded: boolean }> {
  let adminSeeded = false;
  if ((await countUsers(db)) === 0 && cfg.SHARDCAST_ADMIN_EMAIL && cfg.SHARDCAST_ADMIN_PASSWORD) {
    await createUser(db, { email: cfg.SHARDCAST_ADMIN_EMAIL, name: "Administrator", password: cfg.SHARDCAST_ADMIN_PASSWORD, role: "admin" });
    adminSeeded = true;
    say(`created admin ${cfg.SHARDCAST_ADMIN_EMAIL}`);
  }
  const existing = await listHosts(db);
  if (existing.length === 0) {
    for (const [i, dsn] of hostDsns.entries()) {
      await registerHost(db, { name: `host-${i + 1}`, dsn });
      say(`registered storage host host-${i + 1} (${i + 1}/${hostDsns.length})`);
    }
  }
  if (cfg.SHARDCAST_DEMO === "off") return { demoToken: null, adminSeeded };
  if (!(await getStreamByName(db, DEMO_STREAM))) {
    await createStream(db, hosts, { name: DEMO_STREAM, shardCount: 4, shardletsPerShard: 2, keyField: "user" });
    say(`created stream "${DEMO_STREAM}" (4 shards x 2 shardlets)`);
  }
  // The demo producer's key lives only in its process environment; old ones are revoked.
  for (const key of await listApiKeys(db)) {
    if (key.name === DEMO_KEY_NAME && !key.revokedAt) await revokeApiKey(db, key.id);
  }
  const key = await createApiKey(db, { name: DEMO_KEY_NAME, streams: [DEMO_STREAM], canProduce: true, canConsume: true, createdById: null });
  return { demoToken: key.token, adminSeeded };
}
