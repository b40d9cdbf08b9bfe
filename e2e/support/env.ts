/** Where the system under test listens and who signs in. Shared by the config and the tests. */
export const WEB_PORT = 3100;
export const EDGE_PORT = 4100;
export const WEB_URL = `http://127.0.0.1:${WEB_PORT}`;
export const EDGE_URL = `http://127.0.0.1:${EDGE_PORT}`;

export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "e2e-admin-password-1";
