import { keyHash } from "../hash.ts";
import type { Rng } from "./rng.ts";

/**
 * Event types of a shop-like service. Types are correlated per key (a user who adds to the cart
 * often checks out next, a checkout is usually followed by a payment), which gives the event
 * correlation engine real structure to find.
 */
export const WORKLOAD_EVENT_TYPES = [
  "page_view",
  "search",
  "click",
  "add_to_cart",
  "checkout",
  "payment",
  "login",
  "refund",
] as const;
export type WorkloadEventType = (typeof WORKLOAD_EVENT_TYPES)[number];

type Weights = Partial<Record<WorkloadEventType, number>>;

/** Type mix of an event with no recent history for its key. Sums to 1. */
export const BASE_TYPE_MIX: Readonly<Record<WorkloadEventType, number>> = {
  page_view: 0.44,
  search: 0.14,
  click: 0.2,
  add_to_cart: 0.09,
  checkout: 0.035,
  payment: 0.03,
  login: 0.06,
  refund: 0.005,
};

/** Next-type weights given the key's previous type (used with probability `followProbability`). */
const TRANSITIONS: Readonly<Record<WorkloadEventType, Weights>> = {
  login: { page_view: 0.7, search: 0.3 },
  page_view: { page_view: 0.35, click: 0.35, search: 0.2, add_to_cart: 0.1 },
  search: { click: 0.6, page_view: 0.3, search: 0.1 },
  click: { page_view: 0.4, add_to_cart: 0.35, click: 0.25 },
  add_to_cart: { checkout: 0.5, page_view: 0.3, add_to_cart: 0.2 },
  checkout: { payment: 0.85, page_view: 0.15 },
  payment: { page_view: 0.9, refund: 0.1 },
  refund: { page_view: 1 },
};

function pickWeighted(rng: Rng, weights: Weights): WorkloadEventType {
  let total = 0;
  for (const t of WORKLOAD_EVENT_TYPES) total += weights[t] ?? 0;
  let x = rng.next() * total;
  for (const t of WORKLOAD_EVENT_TYPES) {
    const w = weights[t] ?? 0;
    if (x < w) return t;
    x -= w;
  }
  return "page_view";
}

/**
 * Chooses event types, remembering the last type of the `memory` most recently seen keys (bounded
 * so a long run does not grow without limit).
 */
export class TypeChooser {
  readonly #rng: Rng;
  readonly #followProbability: number;
  readonly #memory: number;
  readonly #last = new Map<string, WorkloadEventType>();

  /**
   * @param followProbability chance that a key with history follows its transition table instead
   *   of the base mix, in [0, 1]. Default 0.6.
   * @param memory keys whose last type is remembered. Default 4096.
   */
  constructor(rng: Rng, followProbability = 0.6, memory = 4096) {
    this.#rng = rng;
    this.#followProbability = followProbability;
    this.#memory = memory;
  }

  next(key: string): WorkloadEventType {
    const prev = this.#last.get(key);
    const type =
      prev !== undefined && this.#rng.chance(this.#followProbability)
        ? pickWeighted(this.#rng, TRANSITIONS[prev])
        : pickWeighted(this.#rng, BASE_TYPE_MIX);
    // Delete-then-set moves the key to the end of the Map's insertion order (LRU).
    this.#last.delete(key);
    this.#last.set(key, type);
    if (this.#last.size > this.#memory) {
      const oldest = this.#last.keys().next();
      if (!oldest.done) this.#last.delete(oldest.value);
    }
    return type;
  }
}

const REGIONS = ["eu-west", "eu-central", "us-east", "us-west", "ap-south", "sa-east"] as const;
const DEVICES = ["web", "ios", "android"] as const;
const PAGES = ["/", "/home", "/deals", "/category/shoes", "/category/books", "/category/games", "/product", "/cart", "/account"];
const SEARCH_TERMS = ["running shoes", "headphones", "board game", "coffee", "lamp", "backpack", "novel", "keyboard", "tent"];
const CLICK_TARGETS = ["product-card", "banner", "recommendation", "nav", "filter", "review"];
const TAGS = ["promo", "mobile", "returning", "new", "newsletter", "gift", "sale", "premium"];
const CURRENCIES = ["EUR", "USD", "GBP"] as const;
const PAY_METHODS = ["card", "paypal", "wallet", "invoice"] as const;

/** A money amount with a log-normal distribution (median ~exp(mu)), rounded to cents. */
function amount(rng: Rng, mu: number, sigma: number): number {
  return Math.round(Math.exp(mu + sigma * rng.normal()) * 100) / 100;
}

/**
 * The JSON payload of one event, a few hundred bytes at most. Fields that belong to the user
 * (region, device) are derived from the key's hash, so they are stable per key; the rest is drawn.
 */
export function buildPayload(rng: Rng, key: string, type: WorkloadEventType): Record<string, unknown> {
  const h = keyHash(key);
  const payload: Record<string, unknown> = {
    user: key,
    region: REGIONS[h % REGIONS.length],
    device: DEVICES[(h >>> 8) % DEVICES.length],
  };
  const tagCount = rng.int(3);
  if (tagCount > 0) {
    const tags = new Set<string>();
    for (let i = 0; i < tagCount; i++) tags.add(rng.pick(TAGS));
    payload.tags = [...tags];
  }
  switch (type) {
    case "page_view":
      payload.path = rng.pick(PAGES);
      payload.durationMs = Math.round(rng.exponential(1 / 8000));
      break;
    case "search":
      payload.query = rng.pick(SEARCH_TERMS);
      payload.results = rng.int(200);
      break;
    case "click":
      payload.target = rng.pick(CLICK_TARGETS);
      payload.path = rng.pick(PAGES);
      break;
    case "add_to_cart":
      payload.sku = `sku-${1000 + rng.int(5000)}`;
      payload.quantity = 1 + rng.int(3);
      payload.price = amount(rng, 3, 0.8);
      break;
    case "checkout":
      payload.items = 1 + rng.int(6);
      payload.amount = amount(rng, 4, 0.7);
      payload.currency = CURRENCIES[h % CURRENCIES.length];
      break;
    case "payment":
      payload.amount = amount(rng, 4, 0.7);
      payload.currency = CURRENCIES[h % CURRENCIES.length];
      payload.method = rng.pick(PAY_METHODS);
      break;
    case "login":
      payload.method = rng.chance(0.8) ? "password" : "sso";
      break;
    case "refund":
      payload.amount = amount(rng, 3.5, 0.8);
      payload.reason = rng.pick(["damaged", "late", "changed_mind", "wrong_size"]);
      break;
  }
  return payload;
}
