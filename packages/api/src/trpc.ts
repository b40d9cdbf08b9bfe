import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { isShardcastError, roleAtLeast, ShardcastError, type Role } from "@shardcast/core";
import { toTrpcError } from "@shardcast/runtime/trpc-error";
import type { ApiContext, SessionUser } from "./context.ts";
import { formatError } from "./errors.ts";
import { outageAnswer } from "./outage.ts";
import { checkHost, checkSameOrigin } from "./request-origin.ts";

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx, path }) {
    const formatted = formatError(error);
    if (formatted.unexpected) {
      // The logger redacts DSNs and secret-looking fields, so the cause can be logged as is.
      ctx?.log.error("console api error", { path, error: error.cause ?? error });
    }
    return {
      code: shape.code,
      message: formatted.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        ...(shape.data.path !== undefined ? { path: shape.data.path } : {}),
        ...formatted.data,
      },
    };
  },
});

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Turns `ShardcastError`s thrown by domain functions, and by the middlewares after this one (host,
 * origin, session and role checks), into tRPC errors with the right status; a dependency that did
 * not answer (PostgreSQL, Redis) into a 503 with Retry-After, logged once per outage.
 */
const domainErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (isShardcastError(cause)) throw toTrpcError(cause);
  const outage = outageAnswer(ctx.log, cause);
  if (outage) throw toTrpcError(outage);
  return result;
});

/**
 * Every mutation (sign-in and sign-out included) must come from the console's own pages: the
 * session cookie rides along on any request the browser makes, so without this another site could
 * act with the user's session. Queries change nothing, and the browser keeps their answers from
 * other sites.
 */
const sameOrigin = t.middleware(({ ctx, type, path, next }) => {
  if (type !== "mutation") return next();
  const verdict = checkSameOrigin({ headers: ctx.reqHeaders, client: ctx.client, allowedOrigins: ctx.allowedOrigins });
  if (!verdict.ok) {
    ctx.log.warn("cross-origin mutation refused", {
      path,
      origin: verdict.origin,
      expected: verdict.expected,
      // The usual cause when the console's own pages are refused: a proxy in front that is not trusted.
      hint: "behind a proxy, set SHARDCAST_TRUST_PROXY; for other origins, SHARDCAST_ALLOWED_ORIGINS",
    });
    throw new ShardcastError("forbidden", verdict.message);
  }
  return next();
});

/**
 * Every call, reads too, must name one of the console's own hosts: a page of a site whose name was
 * re-pointed at the console (DNS rebinding) passes the origin check, but not this one.
 */
const knownHost = t.middleware(({ ctx, path, next }) => {
  const verdict = checkHost({ client: ctx.client, allowedHosts: ctx.allowedHosts, allowedOrigins: ctx.allowedOrigins });
  if (!verdict.ok) {
    ctx.log.warn("request for a foreign host refused", { path, host: verdict.host, hint: "list the console's public names in SHARDCAST_ALLOWED_HOSTS" });
    throw new ShardcastError("forbidden", verdict.message);
  }
  return next();
});

// Sign-ins of the requests in flight, by request: a batch may carry at most one.
const passwordChecks = new WeakSet<Headers>();

/**
 * One password check per request: the hash gate bounds the work, but a batch of sign-ins would
 * take every turn for itself. Requests are told apart by their headers object, which every call of
 * a batch shares.
 */
const onePasswordCheck = t.middleware(({ ctx, next }) => {
  if (passwordChecks.has(ctx.reqHeaders)) throw new ShardcastError("bad_request", "Send one sign-in per request, not several in a batch.");
  passwordChecks.add(ctx.reqHeaders);
  return next();
});

/** Outermost, so the outcome it reports is the error the caller gets, after `domainErrors` mapped it. */
const metered = t.middleware(async ({ ctx, path, type, next }) => {
  if (!ctx.onProcedure) return next();
  const started = performance.now();
  const result = await next();
  ctx.onProcedure({ path, type, outcome: result.ok ? "ok" : result.error.code, ms: performance.now() - started });
  return result;
});

export const publicProcedure = t.procedure.use(metered).use(domainErrors).use(knownHost).use(sameOrigin);

/** Procedures that check or hash a password: sign-in and first-run setup. */
export const passwordProcedure = publicProcedure.use(onePasswordCheck);

export const viewerProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new ShardcastError("unauthenticated", "Sign in to continue.");
  return next({ ctx: { ...ctx, user: ctx.user satisfies SessionUser } });
});

/** A signed-in user's own password check (a password change): as costly as a sign-in. */
export const viewerPasswordProcedure = viewerProcedure.use(onePasswordCheck);

/**
 * The role is the session's, read when the request began; writes that grant or configure check it
 * again as they commit (`neededRole`, see the db's acting-user.ts).
 */
function requireRole(role: Role) {
  return viewerProcedure.use(({ ctx, next }) => {
    if (!roleAtLeast(ctx.user.role, role)) {
      throw new ShardcastError("forbidden", `This action needs the ${role} role.`);
    }
    return next({ ctx: { ...ctx, neededRole: role } });
  });
}

export const operatorProcedure = requireRole("operator");
export const adminProcedure = requireRole("admin");
