import root from "../../eslint.config.mjs";

// The domain runs in the simulator and the benchmarks and takes its I/O from the apps: only pure
// libraries. A new one is added to this list deliberately, not by an import slipping in.
export default [
  ...root,
  {
    files: ["src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(?!(zod|@datadog/sketches-js)$)[^.]",
              message: "packages/core is pure: inject I/O from the apps, or add a pure library to the list in packages/core/eslint.config.mjs.",
            },
          ],
        },
      ],
    },
  },
];
