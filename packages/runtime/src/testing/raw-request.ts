import net from "node:net";

/**
 * Sends `head` (a request line and headers, as written) on a fresh connection and resolves with the
 * status code of the answer. For request targets `fetch` refuses to send (`//[`, `//%zz`), which
 * Node's HTTP parser still hands to a server.
 */
export function rawRequestStatus(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(head));
    let got = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      got += chunk;
      const line = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (line) {
        socket.destroy();
        resolve(Number(line[1]));
      }
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`connection closed without an answer (got ${JSON.stringify(got.slice(0, 80))})`)));
  });
}
