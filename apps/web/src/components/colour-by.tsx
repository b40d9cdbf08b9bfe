"use client";
import type { ColourBy } from "../lib/health-colour.ts";

/** "Colour by Load | Health" for a toolbar; `name` prefixes its label id and test ids. */
export function ColourByToggle({ name, value, onChange }: { name: string; value: ColourBy; onChange: (value: ColourBy) => void }) {
  return (
    <div className="field" style={{ minWidth: 0, flex: "none" }}>
      <span id={`${name}-colour-by`} style={{ fontWeight: 600, fontSize: 13 }}>
        Colour by
      </span>
      <div className="segmented" role="group" aria-labelledby={`${name}-colour-by`} style={{ marginBottom: 0 }}>
        {(["load", "health"] as const).map((c) => (
          <button key={c} type="button" aria-pressed={value === c} onClick={() => onChange(c)} data-testid={`${name}-colour-${c}`}>
            {c === "load" ? "Load" : "Health"}
          </button>
        ))}
      </div>
    </div>
  );
}
