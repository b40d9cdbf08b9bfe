"use client";
import {
  flexRender,
  getCoreRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type Header,
  type PaginationState,
  type SortingState,
  type Table,
  type Updater,
} from "@tanstack/react-table";
import { Fragment, isValidElement, useMemo, useState, type HTMLAttributes, type ReactNode } from "react";
import { formatNumber } from "../lib/format.ts";
import type { Column, DataAttributes, RowAttributes } from "./data-table-columns.tsx";

export const DEFAULT_PAGE_SIZE = 25;

/** "Rows 26–50 of 60": where the page shown lies in the whole list. */
export function pageRangeLabel(pageIndex: number, pageSize: number, total: number): string {
  const first = Math.min(total, pageIndex * pageSize + 1);
  const last = Math.min(total, (pageIndex + 1) * pageSize);
  return `Rows ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)}`;
}

export interface DataTableProps<Row> {
  rows: readonly Row[];
  columns: Column<Row>[];
  /** Stable across refreshes, so a row keeps its focus and open details; `index` is its place in `rows`. */
  rowKey: (row: Row, index: number) => string;
  testId?: string;
  /** The table's own class, e.g. `dense`. */
  className?: string;
  /** The box around the table; `table-wrap scroll-box` keeps the header in view. */
  wrapClassName?: string;
  /** Shown instead of the table while there are no rows. */
  empty: ReactNode;
  /** Attributes of the empty state's box (its test id, `data-reason`, a class other than `empty`). */
  emptyProps?: HTMLAttributes<HTMLDivElement> & DataAttributes;
  pageSize?: number;
  /** `previous` is the row shown above this one, for rows that group under a shared label. */
  rowProps?: (row: Row, previous: Row | undefined) => RowAttributes;
  /** What a row has opened (a log, a form): each item in a row of its own across the table. */
  details?: (row: Row) => ReactNode;
}

const ARIA_SORT = { asc: "ascending", desc: "descending" } as const;

function HeaderCell<Row>({ header }: { header: Header<Row, unknown> }) {
  const { column } = header;
  const meta = column.columnDef.meta;
  const label = header.isPlaceholder ? null : flexRender(column.columnDef.header, header.getContext());
  if (!column.getCanSort()) {
    return (
      <th scope="col" className={meta?.className} title={meta?.title}>
        {label}
      </th>
    );
  }
  const sorted = column.getIsSorted();
  return (
    <th scope="col" className={meta?.className} title={meta?.title} aria-sort={sorted ? ARIA_SORT[sorted] : undefined}>
      <button type="button" className="sort-button" onClick={column.getToggleSortingHandler()}>
        {label}
      </button>
    </th>
  );
}

function Pager<Row>({ table, testId }: { table: Table<Row>; testId: string | undefined }) {
  const { pageIndex, pageSize } = table.getState().pagination;
  return (
    <div className="table-pager" role="group" aria-label="Pages" data-testid={testId ? `${testId}-pager` : "table-pager"}>
      <span data-testid="pager-range">{pageRangeLabel(pageIndex, pageSize, table.getRowCount())}</span>
      <button type="button" className="secondary small" disabled={!table.getCanPreviousPage()} onClick={() => table.previousPage()} data-testid="pager-previous">
        Previous
      </button>
      <button type="button" className="secondary small" disabled={!table.getCanNextPage()} onClick={() => table.nextPage()} data-testid="pager-next">
        Next
      </button>
    </div>
  );
}

/** Each item of what `details` returned, keyed for React. */
function detailItems(details: ReactNode): ReactNode[] {
  const items = Array.isArray(details) ? (details as ReactNode[]) : [details];
  return items.filter((d) => d !== null && d !== undefined && typeof d !== "boolean");
}

/**
 * The console's list table: TanStack Table sorts (a click on a header; rows keep the order the
 * caller gave until then) and pages (no pager while every row fits one page); the markup and
 * classes are the console's own.
 */
export function DataTable<Row>({
  rows,
  columns,
  rowKey,
  testId,
  className,
  wrapClassName = "table-wrap",
  empty,
  emptyProps,
  pageSize = DEFAULT_PAGE_SIZE,
  rowProps,
  details,
}: DataTableProps<Row>) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [pageIndex, setPageIndex] = useState(0);
  // TanStack takes a mutable array; it never writes to it.
  const data = useMemo(() => [...rows], [rows]);
  // A refresh that leaves fewer rows keeps the reader on the last page there is, not an empty one.
  const lastPage = Math.max(0, Math.ceil(rows.length / pageSize) - 1);
  const pagination: PaginationState = { pageIndex: Math.min(pageIndex, lastPage), pageSize };
  const table = useReactTable({
    data,
    columns,
    getRowId: (row, index) => rowKey(row, index),
    state: { sorting, pagination },
    onSortingChange: (updater: Updater<SortingState>) => {
      setSorting(updater);
      setPageIndex(0);
    },
    onPaginationChange: (updater: Updater<PaginationState>) => setPageIndex((typeof updater === "function" ? updater(pagination) : updater).pageIndex),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    enableMultiSort: false,
    // The lists refresh every few seconds: new data must not send the reader back to page one.
    autoResetPageIndex: false,
  });

  if (rows.length === 0) {
    const { className: emptyClassName = "empty", ...emptyAttributes } = emptyProps ?? {};
    return (
      <div className={emptyClassName} {...emptyAttributes}>
        {empty}
      </div>
    );
  }
  const shown = table.getRowModel().rows;
  const width = table.getVisibleLeafColumns().length;
  return (
    <>
      <div className={wrapClassName}>
        <table className={className} data-testid={testId}>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => (
                  <HeaderCell key={header.id} header={header} />
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {shown.map((row, i) => (
              <Fragment key={row.id}>
                <tr {...rowProps?.(row.original, shown[i - 1]?.original)}>
                  {row.getVisibleCells().map((cell) => {
                    const meta = cell.column.columnDef.meta;
                    const attributes = meta?.cellAttributes?.(row.original);
                    const classes = [meta?.className, attributes?.className].filter(Boolean).join(" ");
                    return (
                      <td key={cell.id} {...attributes} className={classes || undefined}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
                {details
                  ? detailItems(details(row.original)).map((item, j) => (
                      <tr key={isValidElement(item) && item.key !== null ? item.key : j}>
                        <td colSpan={width}>{item}</td>
                      </tr>
                    ))
                  : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > pageSize ? <Pager table={table} testId={testId} /> : null}
    </>
  );
}
