/**
 * `npm run check`: the type-check and the type-aware lint of the whole repository on one
 * TypeScript program. `npm run typecheck` (tsc) and `npm run lint` (ESLint) each build the
 * program of the root tsconfig.json, and the lint asks it for the types the type-check has just
 * computed: run apart, the two spent about half their CPU doing the same work twice. Here the
 * program is built and checked once, and ESLint is handed it (typescript-eslint's
 * `parserOptions.programs`, which takes the place of the config's `project`), so its rules read
 * types the checker already knows. Same diagnostics as the two commands, same exit status (1 when
 * either finds an error).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import ts from "typescript";
import { argvFlags } from "@shardcast/sim/cli/argv";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run check\n\n  the root tsconfig.json's type-check, then ESLint over the repository on the same program";

// The command takes no arguments: anything but --help is a usage error.
for (const f of argvFlags(process.argv.slice(2), [])) {
  if (f.flag === "--help") {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  process.stderr.write(`unknown argument ${f.arg}\n${USAGE}\n`);
  process.exit(2);
}

const host: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => "\n",
};
const format = (diagnostics: readonly ts.Diagnostic[]) =>
  process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext(diagnostics, host) : ts.formatDiagnostics(diagnostics, host);

const started = Date.now();
const configPath = path.join(root, "tsconfig.json");
const config = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    process.stdout.write(format([d]));
    process.exit(1);
  },
});
if (!config) process.exit(1);
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences, configFileParsingDiagnostics: config.errors });
// What `tsc -p tsconfig.json` reports with noEmit: the config's, the options', syntax and types.
const diagnostics = ts.getPreEmitDiagnostics(program);
const typeErrors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
if (diagnostics.length > 0) process.stdout.write(format(diagnostics));
process.stdout.write(`type-check: ${config.fileNames.length} files, ${typeErrors} error(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

const linting = Date.now();
// TypeScript files only: the config lints its few plain-Node scripts without type information.
const eslint = new ESLint({ cwd: root, overrideConfig: [{ files: ["**/*.ts", "**/*.tsx"], languageOptions: { parserOptions: { programs: [program] } } }] });
const results = await eslint.lintFiles(["."]);
const formatter = await eslint.loadFormatter("stylish");
const report = await formatter.format(results);
if (report) process.stdout.write(report.endsWith("\n") ? report : `${report}\n`);
const lintErrors = results.reduce((n, r) => n + r.errorCount, 0);
process.stdout.write(`lint: ${results.length} files, ${lintErrors} error(s) in ${((Date.now() - linting) / 1000).toFixed(1)} s\n`);

process.exitCode = typeErrors > 0 || lintErrors > 0 ? 1 : 0;
