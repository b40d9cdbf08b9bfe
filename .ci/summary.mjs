// Prints what CI ran: each stage's time (from the stage file .ci/run writes) and the test counts
// found in the test log (Vitest's per-workspace "Tests" lines and Playwright's totals).
import { existsSync, readFileSync } from "node:fs";

const [stagesFile, testLog] = process.argv.slice(2);
const fmt = (s) => `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;

if (stagesFile && existsSync(stagesFile)) {
  console.log("CI stages:");
  let total = 0;
  for (const line of readFileSync(stagesFile, "utf8").split("\n").filter(Boolean)) {
    const [secs, status, ...name] = line.split("\t");
    total += Number(secs);
    console.log(`  ${fmt(Number(secs)).padStart(7)}  ${status.padEnd(6)}  ${name.join(" ")}`);
  }
  console.log(`  ${fmt(total).padStart(7)}  total`);
}

if (testLog && existsSync(testLog)) {
  const text = readFileSync(testLog, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
  // `npm test` times its own stages (scripts/test.sh).
  const inner = [...text.matchAll(/^(?:\[demo\] )?\[test\] (\d+)s (ok|FAILED \(exit \d+\))  (.+)$/gm)];
  if (inner.length) {
    console.log("npm test stages:");
    for (const m of inner) console.log(`  ${fmt(Number(m[1])).padStart(7)}  ${m[2].padEnd(6)}  ${m[3]}`);
  }
  const counts = (s) => Object.fromEntries([...s.matchAll(/(\d+) (passed|failed|skipped|todo|flaky|did not run)/g)].map((m) => [m[2], Number(m[1])]));
  const rows = [];
  for (const m of text.matchAll(/^(\S+):test:\s+Tests\s+(.+)$/gm)) rows.push([m[1], counts(m[2])]);
  // Playwright's list reporter ends each suite with its totals, one per line, "passed" last.
  // The demo lane's lines carry "[demo] " (its totals can come out between the other lane's).
  const pw = [...text.matchAll(/^(\[demo\] )?\s+(\d+) (passed|failed|skipped|flaky|did not run)(?: \(.+\))?$/gm)];
  const open = new Map();
  for (const m of pw) {
    const lane = m[1] === "[demo] " ? "playwright: demo" : "playwright: console";
    const c = open.get(lane) ?? {};
    c[m[3]] = Number(m[2]);
    open.set(lane, c);
    if (m[3] === "passed") {
      rows.push([lane, c]);
      open.delete(lane);
    }
  }
  for (const [lane, c] of open) rows.push([lane, c]);
  // The failures by name, with the first lines of each Playwright error, so a log cut to its
  // tail still says what failed and why.
  const failed = new Set();
  for (const m of text.matchAll(/^(?:\S+:test:|\[demo\])?\s*(?:✘|FAIL)\s+(.+)$/gmu)) failed.add(m[1].trim());
  if (failed.size) {
    console.log("Failed:");
    for (const f of failed) console.log(`  ${f}`);
    const lines = text.split("\n").map((l) => l.replace(/^\[demo\] /, ""));
    lines.forEach((l, i) => {
      if (!/^\s+\d+\) \S+\.spec\.ts:\d+/.test(l)) return;
      const body = lines.slice(i, i + 40).filter((x) => x.trim() && !/^\s*\[WebServer\]/.test(x));
      console.log(body.slice(0, 14).map((x) => `  | ${x.trimEnd()}`).join("\n"));
    });
  }
  if (rows.length) {
    console.log("Tests:");
    const sum = {};
    for (const [name, c] of rows) {
      for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
      console.log(`  ${name.padEnd(28)} ${Object.entries(c).map(([k, v]) => `${v} ${k}`).join(", ")}`);
    }
    console.log(`  ${"all".padEnd(28)} ${Object.entries(sum).map(([k, v]) => `${v} ${k}`).join(", ")}`);
  }
}
