// One lint config for every workspace; type-aware so floating promises are caught.
import tseslint from "typescript-eslint";

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
      "**/web-standalone.mjs",
      "**/dist/**",
      "**/*.config.js",
      "**/test-results/**",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true },
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
    },
  },
  {
    files: ["**/env.ts", "**/env/*.ts", "scripts/**", "**/*.config.ts", "e2e/**", "bench/**", "**/test/**", "**/testing.ts", "**/testing/**"],
    rules: { "no-restricted-properties": "off" },
  },
);
