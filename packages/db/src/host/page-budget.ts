/**
 * A page bounded by bytes over `rows`: a SELECT of `columns`, `size_bytes` and `archive_batch` (null
 * where the payload is in the row), already limited and in `order`. Rows are kept while the bytes
 * before them are under `maxBytes` and the archive batches before them are fewer than `maxBatches`
 * (SQL expressions; null: no bound), so a page holds at least one row, and the row that reaches a
 * bound (`reached`, added after `columns`) is its last. The bytes are the rows' `size_bytes` and, at
 * the first row of each archive batch, the batch's compressed size: a read returns every batch its
 * rows point at whole, and a page of a few rows may point at as many batches. The running sums are
 * taken over what `rows` lets through, so a scan still walks its index in `order` and stops at its
 * limit: a row past the budget costs a visit to its heap row, never its payload, and a batch's size
 * is read from its row's TOAST pointer, never from its blob. `archived` false: `rows` come from a
 * table without an archive, whose rows only cost their own bytes.
 */
export function pageWithin(rows: string, columns: string, order: string, archived: boolean, maxBytes: string, maxBatches: string): string {
  const firstUse = archived ? `CASE WHEN archive_batch IS NOT NULL AND row_number() OVER (PARTITION BY archive_batch ORDER BY ${order}) = 1 THEN 1 ELSE 0 END` : "0";
  const batchBytes = archived ? `CASE WHEN first_use = 1 THEN coalesce((SELECT octet_length(a.blob) FROM sc_archive a WHERE a.batch_id = f.archive_batch), 0) ELSE 0 END` : "0";
  const running = `OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING)`;
  return `SELECT ${columns},
                  (${maxBytes}::float8 IS NOT NULL AND upto_bytes >= ${maxBytes}::float8) OR (${maxBatches}::int IS NOT NULL AND upto_batches >= ${maxBatches}::int) AS reached
           FROM (
             SELECT c.*, (sum(size_bytes + batch_bytes) ${running})::float8 AS upto_bytes, sum(first_use) ${running} AS upto_batches
             FROM (
               SELECT f.*, ${batchBytes} AS batch_bytes FROM (
                 SELECT l.*, ${firstUse} AS first_use FROM (
                   ${rows}
                 ) l
               ) f
             ) c
           ) t
           WHERE (${maxBytes}::float8 IS NULL OR t.upto_bytes - t.size_bytes - t.batch_bytes < ${maxBytes}::float8)
             AND (${maxBatches}::int IS NULL OR t.upto_batches - t.first_use < ${maxBatches}::int)
           ORDER BY ${order}`;
}
