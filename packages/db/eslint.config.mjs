import root from "../../eslint.config.mjs";

// This package is the door to storage: the only place the Prisma client is used directly.
export default [...root, { rules: { "no-restricted-syntax": "off" } }];
