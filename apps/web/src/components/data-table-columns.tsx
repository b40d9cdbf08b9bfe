import type { CellContext, ColumnDef, RowData, SortingFn } from "@tanstack/react-table";
import type { HTMLAttributes, ReactNode, TdHTMLAttributes } from "react";

/** `data-*` attributes: the end-to-end specs and the styles find rows and cells by them. */
export type DataAttributes = { [name: `data-${string}`]: string | number | boolean | null | undefined };
export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & DataAttributes;
export type CellAttributes = TdHTMLAttributes<HTMLTableCellElement> & DataAttributes;

/** What a column sorts by; a missing value (null or undefined) sorts last either way. */
export type SortValue = string | number | boolean | Date | null | undefined;

export type Column<Row> = ColumnDef<Row, SortValue>;

declare module "@tanstack/react-table" {
  // The declaration must repeat TanStack's type parameters to merge with it.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** On the header and on every cell: `num` right-aligns both. */
    className?: string;
    /** The header's tooltip. */
    title?: string;
    /** Attributes of each cell: test ids, titles, classes that depend on the row. */
    cellAttributes?: (row: TData) => CellAttributes;
  }
}

export interface ColumnSpec<Row> {
  id: string;
  header: ReactNode;
  cell: (row: Row, context: CellContext<Row, SortValue>) => ReactNode;
  /** A column without one cannot be sorted: actions, and cells that mix several figures. */
  sortBy?: (row: Row) => SortValue;
  className?: string;
  title?: string;
  td?: CellAttributes | ((row: Row) => CellAttributes);
}

// Names as people read them: case-blind, digit runs by value (host-2 before host-10).
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * One comparison for every column. TanStack's automatic choice looks at a sample of rows that
 * skips the first ten (8.21), so on a short list it would compare names case-sensitively.
 */
function compareSortValues<Row>(): SortingFn<Row> {
  return (a, b, id) => {
    const x = a.getValue<SortValue>(id);
    const y = b.getValue<SortValue>(id);
    if (typeof x === "string" && typeof y === "string") return collator.compare(x, y);
    const nx = x instanceof Date ? x.getTime() : Number(x);
    const ny = y instanceof Date ? y.getTime() : Number(y);
    return nx === ny ? 0 : nx < ny ? -1 : 1;
  };
}

function column<Row>({ id, header, cell, sortBy, className, title, td }: ColumnSpec<Row>): Column<Row> {
  const base = {
    id,
    header: () => header,
    cell: (context: CellContext<Row, SortValue>) => cell(context.row.original, context),
    meta: { className, title, cellAttributes: typeof td === "function" ? td : td ? () => td : undefined },
  };
  if (!sortBy) return base;
  // TanStack keeps undefined values last in both directions; null is folded into it.
  return { ...base, accessorFn: (row: Row) => sortBy(row) ?? undefined, sortingFn: compareSortValues<Row>(), sortUndefined: "last" };
}

/**
 * A DataTable's columns in the console's terms (header, cell, what it sorts by), as TanStack
 * column definitions. A `false` or `null` entry is a column this view leaves out.
 */
export function columns<Row>(specs: ReadonlyArray<ColumnSpec<Row> | false | null>): Column<Row>[] {
  return specs.filter((spec): spec is ColumnSpec<Row> => !!spec).map((spec) => column(spec));
}

/** The header of a row-actions column: screen readers get its name, the eye sees the buttons. */
export const ACTIONS_HEADER = <span className="sr-only">Actions</span>;
