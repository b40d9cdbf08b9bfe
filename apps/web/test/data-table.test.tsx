import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { columns } from "../src/components/data-table-columns.tsx";
import { DataTable, pageRangeLabel } from "../src/components/data-table.tsx";

interface Host {
  id: string;
  name: string;
  load: number | null;
}

const COLUMNS = columns<Host>([
  { id: "name", header: "Host", sortBy: (h) => h.name, cell: (h) => h.name, td: { "data-testid": "host-name" } },
  { id: "load", header: "Load", className: "num", sortBy: (h) => h.load, cell: (h) => (h.load === null ? "—" : h.load) },
  { id: "actions", header: "Actions", cell: (h) => <button type="button">Drain {h.name}</button> },
]);

const hosts = (n: number): Host[] => Array.from({ length: n }, (_, i) => ({ id: `h${i}`, name: `host-${i}`, load: i % 3 === 0 ? null : i }));

// Sorting and paging on clicks run in Chromium (e2e/tests/tables.spec.ts); these pin what the
// table renders before any click.
describe("DataTable", () => {
  it("renders the caller's rows in the caller's order, with the console's classes and the rows' attributes", () => {
    const html = renderToStaticMarkup(<DataTable rows={hosts(3)} columns={COLUMNS} rowKey={(h) => h.id} testId="hosts" rowProps={(h) => ({ "data-testid": `row-${h.name}` })} empty="none" />);
    expect(html).toContain('<table data-testid="hosts">');
    expect(html.indexOf("row-host-0")).toBeLessThan(html.indexOf("row-host-2"));
    expect(html).toContain('<td data-testid="host-name">host-1</td>');
    expect(html).toContain('<td class="num">1</td>');
    // Sortable headers are buttons, unsorted until clicked; a column without a sort value is plain text.
    expect(html).toContain('<th scope="col"><button type="button" class="sort-button">Host</button></th>');
    expect(html).toContain('<th scope="col">Actions</th>');
    expect(html).not.toContain("aria-sort");
    expect(html).not.toContain("pager");
  });

  it("shows the caller's empty state, with its attributes, instead of a table", () => {
    const html = renderToStaticMarkup(<DataTable rows={[]} columns={COLUMNS} rowKey={(h) => h.id} empty="No host yet." emptyProps={{ "data-testid": "hosts-empty", "data-reason": "none" }} />);
    expect(html).toBe('<div class="empty" data-testid="hosts-empty" data-reason="none">No host yet.</div>');
  });

  it("pages a list longer than a page and says which rows are shown", () => {
    const html = renderToStaticMarkup(<DataTable rows={hosts(30)} columns={COLUMNS} rowKey={(h) => h.id} testId="hosts" empty="none" />);
    expect(html.match(/<tr>/g)?.length).toBe(1 + 25);
    expect(html).toContain("host-24<");
    expect(html).not.toContain("host-25<");
    expect(html).toContain('data-testid="hosts-pager"');
    expect(html).toContain("Rows 1–25 of 30");
    expect(html).toMatch(/<button type="button" class="secondary small" disabled="" data-testid="pager-previous">/);
  });

  it("puts what a row opened in a row of its own across the table", () => {
    const html = renderToStaticMarkup(
      <DataTable rows={hosts(2)} columns={COLUMNS} rowKey={(h) => h.id} details={(h) => (h.id === "h1" ? [<p key="log">log of {h.name}</p>, null] : null)} empty="none" />,
    );
    expect(html).toContain('<tr><td colSpan="3"><p>log of host-1</p></td></tr>');
    expect(html.match(/<tr>/g)?.length).toBe(1 + 2 + 1);
  });
});

describe("pageRangeLabel", () => {
  it("names the first and last row of the page and the whole count", () => {
    expect(pageRangeLabel(0, 25, 60)).toBe("Rows 1–25 of 60");
    expect(pageRangeLabel(2, 25, 60)).toBe("Rows 51–60 of 60");
    expect(pageRangeLabel(0, 25, 1_200)).toBe("Rows 1–25 of 1,200");
  });
});
