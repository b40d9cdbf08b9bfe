/** Host DSNs are secrets: anything shown in the console or written to a log goes through here. */
export function redactDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (url.password) url.password = "***";
    for (const name of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(name)) url.searchParams.set(name, "***");
    }
    return url.toString();
  } catch {
    return "<unparseable dsn>";
  }
}

/** Strips DSNs (postgres://user:pass@...) out of free text such as driver error messages. */
export function redactSecrets(text: string): string {
  return text.replace(/(postgres(?:ql)?|redis|rediss):\/\/[^\s'"]+/gi, (m) => redactDsn(m));
}
