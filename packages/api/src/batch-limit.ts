/**
 * Most calls one console API request may carry. The server refuses larger batches (400) so one
 * request cannot queue unbounded work; the console's client splits its batches at the same size.
 */
export const MAX_BATCH_CALLS = 16;
