/**
 * Headers every console response carries. Scripts and styles may be inline: Next.js bootstraps
 * pages with inline scripts and the charts and bars set inline styles; everything else, fetches
 * included, stays on the console's own origin, and no other site may frame it.
 */
export function securityHeaders(opts: { https: boolean; dev: boolean }): Array<[string, string]> {
  const csp = [
    "default-src 'self'",
    // The development server evaluates modules and talks to its hot-reload socket.
    `script-src 'self' 'unsafe-inline'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${opts.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return [
    ["Content-Security-Policy", csp],
    ["X-Frame-Options", "DENY"],
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "same-origin"],
    // Only meaningful over HTTPS (browsers ignore it on plain HTTP), and only then true.
    ...(opts.https ? [["Strict-Transport-Security", "max-age=31536000"] as [string, string]] : []),
  ];
}
