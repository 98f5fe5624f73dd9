// A minimal SMTP server for the tests that send email: it accepts every
// message on 127.0.0.1 and hands it to the test.

import net from "node:net";

const MAIL_DEADLINE_MS = 10_000; // hang guard only: nothing measures speed

/**
 * startSmtpSink runs a minimal SMTP server on 127.0.0.1 that accepts every
 * message and hands it to next(): { to, raw, subject, text }.
 */
export function startSmtpSink() {
    const inbox = [];
    const waiters = [];
    const deliver = (msg) => {
        const w = waiters.shift();
        if (w) {
            w(msg);
        } else {
            inbox.push(msg);
        }
    };
    const server = net.createServer((socket) => {
        socket.setEncoding("utf8");
        let buffer = "";
        let inData = false;
        let data = "";
        let to = [];
        const reply = (line) => socket.write(line + "\r\n");
        reply("220 localhost ESMTP sink");
        socket.on("data", (chunk) => {
            buffer += chunk;
            for (;;) {
                if (inData) {
                    const end = buffer.indexOf("\r\n.\r\n");
                    if (end < 0) {
                        return;
                    }
                    data += buffer.slice(0, end + 2);
                    buffer = buffer.slice(end + 5);
                    inData = false;
                    deliver(parseMessage(to, data.replace(/^\.\./gm, ".")));
                    data = "";
                    to = [];
                    reply("250 OK");
                    continue;
                }
                const nl = buffer.indexOf("\r\n");
                if (nl < 0) {
                    return;
                }
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 2);
                const verb = line.slice(0, 4).toUpperCase();
                if (verb === "EHLO" || verb === "HELO") {
                    reply("250 localhost");
                } else if (verb === "RCPT") {
                    to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1"));
                    reply("250 OK");
                } else if (verb === "DATA") {
                    inData = true;
                    reply("354 End data with <CR><LF>.<CR><LF>");
                } else if (verb === "QUIT") {
                    reply("221 Bye");
                    socket.end();
                } else {
                    reply("250 OK"); // MAIL, RSET, NOOP
                }
            }
        });
        socket.on("error", () => {});
    });
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            resolve({
                port: server.address().port,
                close: () => new Promise((r) => server.close(() => r())),
                next: () =>
                    new Promise((resolve, reject) => {
                        if (inbox.length > 0) {
                            resolve(inbox.shift());
                            return;
                        }
                        const timer = setTimeout(() => reject(new Error("no email arrived")), MAIL_DEADLINE_MS);
                        waiters.push((msg) => {
                            clearTimeout(timer);
                            resolve(msg);
                        });
                    }),
                count: () => inbox.length,
            });
        });
    });
}

// parseMessage undoes quoted-printable in every part; enough to read links.
function parseMessage(to, raw) {
    const [head] = raw.split("\r\n\r\n");
    const subject = (head.match(/^Subject: (.*)$/m) || [])[1] || "";
    const text = raw
        .replace(/=\r\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return { to, raw, subject, text };
}
