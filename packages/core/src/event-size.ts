import { objectMemo } from "./object-memo.ts";

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (no Buffer: core runs outside Node too). */
export function utf8Length(s: string): number {
  // Fast path: ASCII strings are the norm for keys and ids.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encoder.encode(s).length;
}

/** What an event's size is counted from. */
export interface SizedEvent {
  payload?: unknown;
  key: string;
  type?: string | null | undefined;
  id?: string | null | undefined;
}

/**
 * An event's size as writes limit and store it and reads count it: payload JSON, key, type and id
 * in UTF-8. `payloadJson` is the payload's JSON text when the caller already has it; `length` is a
 * faster UTF-8 count where the runtime has one (Node's is native: an order of magnitude faster
 * than this JavaScript loop on a 1 KiB payload, and a read page measures every event).
 */
export function eventSizeBytes(e: SizedEvent, payloadJson: string = JSON.stringify(e.payload ?? null), length: (s: string) => number = utf8Length): number {
  return length(payloadJson) + length(e.key) + (e.type ? length(e.type) : 0) + (e.id ? length(e.id) : 0);
}

/**
 * An event's size, kept on the event object: set where the size is known without serializing the
 * payload (a host read returns the size each row was stored with, counted by `eventSizeBytes` when
 * it was written), read before counting it again. Every read path measures each event it returns,
 * and serializing a payload to count it cost about as much as serializing it for the answer.
 */
export const knownEventSizes = objectMemo<number>("shardcast.storedBytes");
