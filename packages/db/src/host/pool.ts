import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { HostDriver, type HostDriverOptions } from "./driver.ts";

/**
 * One `HostDriver` per storage host, created on first use from the DSN in the control database.
 * Concurrent first calls share one lookup; a failed lookup is forgotten so the next call retries.
 */
export class HostPool {
  private readonly drivers = new Map<string, Promise<HostDriver>>();

  constructor(
    private readonly db: ControlDb,
    private readonly opts: HostDriverOptions = {},
  ) {}

  get(hostId: string): Promise<HostDriver> {
    let driver = this.drivers.get(hostId);
    if (!driver) {
      driver = this.open(hostId);
      this.drivers.set(hostId, driver);
      void driver.catch(() => {
        if (this.drivers.get(hostId) === driver) this.drivers.delete(hostId);
      });
    }
    return driver;
  }

  private async open(hostId: string): Promise<HostDriver> {
    const host = await this.db.host.findUnique({ where: { id: hostId }, select: { dsn: true } });
    if (!host) throw new ShardcastError("not_found", `unknown storage host ${hostId}`);
    return new HostDriver(host.dsn, this.opts);
  }

  /** Host ids with an open (or opening) driver. */
  openHostIds(): string[] {
    return [...this.drivers.keys()];
  }

  /** Closes and forgets one host's driver (after its DSN changed or it was removed). */
  async evict(hostId: string): Promise<void> {
    const driver = this.drivers.get(hostId);
    this.drivers.delete(hostId);
    if (driver) await driver.then((d) => d.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((d) => d.then((x) => x.close()).catch(() => undefined)));
  }
}
