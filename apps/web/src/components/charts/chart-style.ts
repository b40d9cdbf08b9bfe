/** The tooltip box of every chart in the console, in the theme's colours. */
export const TOOLTIP_STYLE = { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6 };
