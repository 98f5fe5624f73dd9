// A minimal SMTP server on 127.0.0.1 for the tests that read an email the
// server sends (a one-time password): it accepts every message.

import net from "node:net";
import { HANG_GUARD_MS } from "./harness";

/** Mail is one message received: its recipients and its decoded text. */
export interface Mail {
  to: string[];
  text: string;
}

/** SmtpSink is a running sink: next() waits for the next message. */
export interface SmtpSink {
  port: number;
  next(): Promise<Mail>;
  close(): Promise<void>;
}

/** startSmtpSink starts a sink on a free port. */
export function startSmtpSink(): Promise<SmtpSink> {
  const inbox: Mail[] = [];
  const waiters: ((m: Mail) => void)[] = [];
  const deliver = (m: Mail) => {
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  };
  const server = net.createServer((socket) => {
    socket.setEncoding("utf8");
    let buffer = "";
    let inData = false;
    let to: string[] = [];
    const reply = (line: string) => socket.write(line + "\r\n");
    reply("220 localhost ESMTP sink");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          const raw = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 5);
          inData = false;
          // Undo quoted-printable: enough to read a code.
          const text = raw.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
          deliver({ to, text });
          to = [];
          reply("250 OK");
          continue;
        }
        const nl = buffer.indexOf("\r\n");
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") reply("250 localhost");
        else if (verb === "RCPT") {
          to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1"));
          reply("250 OK");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "QUIT") {
          reply("221 Bye");
          socket.end();
        } else reply("250 OK");
      }
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        next: () =>
          new Promise((ok, fail) => {
            const m = inbox.shift();
            if (m) return ok(m);
            const timer = setTimeout(() => fail(new Error("no email arrived")), HANG_GUARD_MS);
            waiters.push((m) => {
              clearTimeout(timer);
              ok(m);
            });
          }),
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
