import type { z } from "zod";
import type { MemberTelemetry } from "./consumer-telemetry.ts";
import { call, errorFrom, path, type CallOptions, type Endpoint } from "./http.ts";
import {
  commitAnswerSchema,
  groupViewSchema,
  heartbeatAnswerSchema,
  joinAnswerSchema,
  parseAnswer,
  pollAnswerSchema,
  type Commit,
  type GroupView,
} from "./types.ts";

export type JoinAnswer = z.output<typeof joinAnswerSchema>;
export type PollAnswer = z.output<typeof pollAnswerSchema>;
export type HeartbeatAnswer = z.output<typeof heartbeatAnswerSchema>;

export interface JoinRequest {
  name?: string | undefined;
  sessionTimeoutMs?: number | undefined;
  start?: "earliest" | "latest" | undefined;
  /**
   * Random, 16-64 of `A-Za-z0-9_-`; the same on every retry of one join, so a retry after a lost
   * answer gets the member the first attempt added instead of a second one. Edges before it refuse
   * the field (400).
   */
  joinToken?: string | undefined;
}

export interface PollRequest {
  commits?: Commit[];
  limit?: number;
  maxWaitMs?: number;
  stats?: { events: number; processingMs: number };
  /** Edges before telemetry refuse the field (400). */
  telemetry?: MemberTelemetry;
}

/**
 * The consumer-group routes of the edge (docs/consumers.md), one method per route. Every method
 * throws a ShardcastClientError for an error answer or no answer; retrying is the caller's choice.
 */
export class GroupApi {
  private readonly base: string;
  private readonly group: string;

  constructor(
    private readonly ep: Endpoint,
    stream: string,
    group: string,
  ) {
    this.group = path("v1", "streams", stream, "groups", group);
    this.base = `${this.group}/members`;
  }

  /** The group's members, assignments, positions, checkpoints and lag (ids only of this key's members). */
  async describe(): Promise<GroupView> {
    return this.send("GET", this.group, undefined, groupViewSchema, "group");
  }

  async join(body: JoinRequest, signal?: AbortSignal): Promise<JoinAnswer> {
    return this.send("POST", this.base, body, joinAnswerSchema, "join", { signal });
  }

  async poll(memberId: string, body: PollRequest, signal?: AbortSignal): Promise<PollAnswer> {
    // A long poll is held open on purpose for up to `maxWaitMs`: the request timeout counts from
    // when the edge is due to answer, else every idle poll would time out.
    const timeoutMs = this.ep.requestTimeoutMs + (body.maxWaitMs ?? 0);
    return this.send("POST", `${this.member(memberId)}/poll`, body, pollAnswerSchema, "poll", { signal, timeoutMs });
  }

  async commit(memberId: string, commits: Commit[]): Promise<Commit[]> {
    return (await this.send("POST", `${this.member(memberId)}/commit`, { commits }, commitAnswerSchema, "commit")).committed;
  }

  /**
   * `timeoutMs` overrides the request timeout (a heartbeat is worth little once the next is due).
   * Edges before telemetry do not read a heartbeat's body, so sending it is always safe.
   */
  async heartbeat(memberId: string, timeoutMs?: number, telemetry?: MemberTelemetry): Promise<HeartbeatAnswer> {
    return this.send("POST", `${this.member(memberId)}/heartbeat`, telemetry ? { telemetry } : undefined, heartbeatAnswerSchema, "heartbeat", { timeoutMs });
  }

  /** Leaves the group, committing `commits` first. */
  async leave(memberId: string, commits: Commit[]): Promise<void> {
    const answer = await call(this.ep, "DELETE", this.member(memberId), JSON.stringify(commits.length > 0 ? { commits } : {}));
    if (answer.status < 200 || answer.status >= 300) throw errorFrom(answer);
  }

  private member(memberId: string): string {
    return `${this.base}/${encodeURIComponent(memberId)}`;
  }

  private async send<S extends z.ZodType>(method: string, route: string, body: unknown, schema: S, what: string, opts: CallOptions = {}): Promise<z.output<S>> {
    const answer = await call(this.ep, method, route, body === undefined ? undefined : JSON.stringify(body), opts);
    if (answer.status < 200 || answer.status >= 300) throw errorFrom(answer);
    return parseAnswer(schema, answer.body, what);
  }
}
