// One lint config and one run (`npm run lint` at the root) for every workspace; type-aware so
// floating promises are caught. Its type information comes from the root tsconfig.json, one program
// over the whole repository, so each file is type-checked once per run rather than once per workspace
// that imports it.
import { readFileSync } from "node:fs";
import tseslint from "typescript-eslint";

// Storage behind one door: outside packages/db nothing touches Prisma's model delegates or its raw
// and transaction methods; callers use the named functions packages/db exports. The delegate names
// come from the schema, so a new model is covered without editing this list.
const prismaDelegates = [...readFileSync(new URL("./prisma/schema.prisma", import.meta.url), "utf8").matchAll(/^model\s+(\w+)/gm)].map(
  ([, name]) => name[0].toLowerCase() + name.slice(1),
);
const delegate = `/^(${prismaDelegates.join("|")})$/`;
const client = "/^(db|tx|prisma|controlDb)$/";
const storageMessage = "Call a named function of @shardcast/db instead of the Prisma client.";
const storageBehindOneDoor = [
  "error",
  { selector: `MemberExpression[object.type='Identifier'][object.name=${client}][property.name=${delegate}]`, message: storageMessage },
  { selector: `MemberExpression[object.type='MemberExpression'][object.property.name=${client}][property.name=${delegate}]`, message: storageMessage },
  { selector: "MemberExpression[property.name=/^\\$(queryRaw|queryRawUnsafe|executeRaw|executeRawUnsafe|transaction)$/]", message: storageMessage },
];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/.turbo/**",
      "**/src/generated/**",
      "**/next-env.d.ts",
      "**/*.config.mjs",
      "**/prisma.mjs",
      // Plain Node build helpers (bundling, standalone assets), run before any TypeScript tooling.
      "**/bundle.mjs",
      "**/host-migrations.mjs",
      "**/free-ports.mjs",
      "**/web-standalone.mjs",
      "**/dist/**",
      "**/*.config.js",
      "**/test-results/**",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through the app's env module." },
      ],
      "no-restricted-syntax": storageBehindOneDoor,
    },
  },
  {
    files: ["**/env.ts", "**/env/*.ts", "scripts/**", "**/*.config.ts", "e2e/**", "bench/**", "**/test/**", "**/testing.ts", "**/testing/**"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    // The door itself. Tests set up storage states no API call produces and check what landed in
    // the control database, so they may use the client directly.
    files: ["packages/db/**", "**/test/**"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // The domain runs in the simulator and the benchmarks and takes its I/O from the apps: only pure
    // libraries. A new one is added to this list deliberately, not by an import slipping in.
    files: ["packages/core/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(?!(zod|@datadog/sketches-js)$)[^.]",
              message: "packages/core is pure: inject I/O from the apps, or add a pure library to the list in eslint.config.mjs.",
            },
          ],
        },
      ],
    },
  },
  {
    // The one type-check program includes the DOM library for the console; everywhere else a
    // browser global is a mistake the compiler can no longer catch.
    files: ["**/*.ts", "**/*.tsx"],
    ignores: ["apps/web/**", "e2e/**"],
    rules: {
      "no-restricted-globals": [
        "error",
        ...["window", "document", "navigator", "localStorage", "sessionStorage", "location", "history"].map((name) => ({
          name,
          message: "Browser globals exist only in the console (apps/web).",
        })),
      ],
    },
  },
  {
    // Plain-Node scripts outside the TypeScript program: CI's own helpers, and the scripts the
    // client's packaging test runs in a project outside the repository against the packed SDK.
    // They are linted without type information.
    files: [".ci/**/*.mjs", "packages/client/test/fixtures/**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
