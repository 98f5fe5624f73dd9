// File fields through the SDK: uploads as FormData and as File values in a
// plain body (the SDK turns those into multipart with "@jsonPayload"),
// the "+"/"-" modifiers, pb.files.getURL with thumbs and downloads,
// protected files with pb.files.getToken, and files in a batch.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync } from "node:zlib";
import { apiError, fieldError } from "./expect.js";
import { dropCollections } from "./schema.js";
import { newClient, superuserClient, uniqueSuffix, useServer } from "./server.js";

let pb;
let docs;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    docs = await pb.collections.create({
        name: `docs_${uniqueSuffix()}`,
        type: "base",
        listRule: "",
        viewRule: "@request.auth.id != ''",
        createRule: "",
        updateRule: "",
        fields: [
            { name: "title", type: "text" },
            { name: "avatar", type: "file", maxSelect: 1, maxSize: 100000, mimeTypes: ["image/png"], thumbs: ["16x8t"] },
            { name: "files", type: "file", maxSelect: 5 },
            { name: "secret", type: "file", maxSelect: 1, protected: true },
        ],
    });
    srv.defer(() => dropCollections(pb, [docs]));
});

const col = () => pb.collection(docs.name);

const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function crc32(buf) {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
}

/** png returns an RGB PNG image of w×h pixels. */
function png(w, h) {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const rows = Buffer.alloc((w * 3 + 1) * h);
    for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) rows.set([x * 5, y * 7, 120], y * (w * 3 + 1) + 1 + x * 3);
    }
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk("IHDR", ihdr),
        chunk("IDAT", deflateSync(rows)),
        chunk("IEND", Buffer.alloc(0)),
    ]);
}

/** pngSize reads the width and height of a PNG from its header. */
function pngSize(buf) {
    assert.equal(buf.subarray(1, 4).toString("latin1"), "PNG", "not a PNG");
    return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

async function fetchFile(url) {
    const res = await fetch(url);
    return { res, body: Buffer.from(await res.arrayBuffer()) };
}

describe("files", () => {
    test("FormData create, getURL, thumbs and downloads", async () => {
        const image = png(40, 20);
        const form = new FormData();
        form.append("title", "with a form");
        form.append("avatar", new Blob([image], { type: "image/png" }), "Face.png");
        form.append("files", new Blob(["one"]), "one.txt");
        form.append("files", new Blob(["two"]), "two.txt");
        const rec = await col().create(form);
        assert.match(rec.avatar, /^face_[a-z0-9]{10}\.png$/);
        assert.equal(rec.files.length, 2);

        const { res, body } = await fetchFile(pb.files.getURL(rec, rec.avatar));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "image/png");
        assert.deepEqual(body, image);

        const thumb = await fetchFile(pb.files.getURL(rec, rec.avatar, { thumb: "16x8t" }));
        assert.deepEqual(pngSize(thumb.body), [16, 8]);
        const dashboardThumb = await fetchFile(pb.files.getURL(rec, rec.avatar, { thumb: "100x100" }));
        assert.deepEqual(pngSize(dashboardThumb.body), [100, 100]);
        const unlisted = await fetchFile(pb.files.getURL(rec, rec.avatar, { thumb: "5x5" }));
        assert.deepEqual(unlisted.body, image, "a size the field does not list serves the original");

        const download = await fetchFile(pb.files.getURL(rec, rec.files[0], { download: true }));
        assert.match(download.res.headers.get("content-disposition"), /^attachment/);
        assert.equal(download.body.toString(), "one");
    });

    test("File values in a plain body, then + and - modifiers", async () => {
        const rec = await col().create({
            title: "with a body",
            files: [new File(["a"], "a.txt"), new File(["b"], "b.txt")],
        });
        assert.equal(rec.title, "with a body");
        assert.equal(rec.files.length, 2);

        const more = await col().update(rec.id, { "files+": new File(["c"], "c.txt") });
        assert.deepEqual(more.files.slice(0, 2), rec.files);
        assert.equal(more.files.length, 3);

        const fewer = await col().update(rec.id, { "files-": [rec.files[0]] });
        assert.deepEqual(fewer.files, more.files.slice(1));
        const gone = await fetch(pb.files.getURL(rec, rec.files[0]));
        assert.equal(gone.status, 404);

        const reordered = await col().update(rec.id, { files: [...fewer.files].reverse() });
        assert.deepEqual(reordered.files, [...fewer.files].reverse());

        const cleared = await col().update(rec.id, { files: [] });
        assert.deepEqual(cleared.files, []);
    });

    test("refusals are field errors", async () => {
        let err = await apiError(col().create({ avatar: new File(["not an image"], "x.png") }), 400);
        fieldError(err, "avatar", "validation_invalid_mime_type");
        err = await apiError(col().create({ files: Array.from({ length: 6 }, (_, i) => new File([`${i}`], `${i}.txt`)) }), 400);
        fieldError(err, "files", "validation_too_many_files");
        err = await apiError(col().create({ avatar: new File([Buffer.alloc(100001)], "big.png") }), 400);
        fieldError(err, "avatar", "validation_file_size_limit");
        const rec = await col().create({ title: "names are not uploads" });
        err = await apiError(col().update(rec.id, { files: ["invented_1234567890.txt"] }), 400);
        fieldError(err, "files", "validation_invalid_file");
    });

    test("protected files need a file token of a caller who may view the record", async () => {
        const rec = await col().create({ secret: new File(["classified"], "plan.txt") });
        const plain = await fetch(pb.files.getURL(rec, rec.secret));
        assert.equal(plain.status, 404);
        const token = await pb.files.getToken();
        const { res, body } = await fetchFile(pb.files.getURL(rec, rec.secret, { token }));
        assert.equal(res.status, 200);
        assert.equal(body.toString(), "classified");

        const guest = newClient(srv);
        await apiError(guest.files.getToken(), 401);
    });

    test("files in a batch", async () => {
        const batch = pb.createBatch();
        batch.collection(docs.name).create({ title: "b1", files: [new File(["x"], "x.txt")] });
        batch.collection(docs.name).create({ title: "b2", avatar: new File([png(4, 4)], "tiny.png") });
        const res = await batch.send();
        assert.deepEqual(
            res.map((r) => r.status),
            [200, 200],
        );
        assert.equal(res[0].body.files.length, 1);
        assert.match(res[1].body.avatar, /^tiny_[a-z0-9]{10}\.png$/);
        const { body } = await fetchFile(pb.files.getURL(res[0].body, res[0].body.files[0]));
        assert.equal(body.toString(), "x");
    });
});
