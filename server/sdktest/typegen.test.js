// `lumbung typegen` against a live server's schema: the generated module
// compiles with tsc together with a program using the SDK's generics
// (TypedPocketBase, pb.collection<PostsRecord>(...), CollectionRecords),
// that program runs against the server and reads what its types say, and
// a program that misuses the types fails to compile.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { dropCollections } from "./schema.js";
import { binaryPath, superuserClient, uniqueSuffix, useServer } from "./server.js";

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
// Hang guard only.
const DEADLINE_MS = 120_000;

let pb;
let people;
let posts;
let work; // a folder inside this one, so that "pocketbase" resolves from node_modules

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    const sfx = uniqueSuffix();
    people = await pb.collections.create({
        name: `people_${sfx}`,
        type: "auth",
        fields: [{ name: "name", type: "text" }],
    });
    posts = await pb.collections.create({
        name: `posts_${sfx}`,
        type: "base",
        fields: [
            { name: "title", type: "text", required: true },
            { name: "views", type: "number", onlyInt: true },
            { name: "status", type: "select", values: ["draft", "live"], maxSelect: 1 },
            { name: "tags", type: "select", values: ["a", "b"], maxSelect: 2 },
            { name: "meta", type: "json" },
            { name: "when", type: "date" },
            { name: "place", type: "geoPoint" },
            { name: "cover", type: "file" },
            { name: "secret", type: "text", hidden: true },
            { name: "author", type: "relation", collectionId: people.id, maxSelect: 1 },
            { name: "created", type: "autodate", onCreate: true },
        ],
    });
    srv.defer(() => dropCollections(pb, [people, posts]));
    const ann = await pb.collection(people.name).create({
        email: `ann-${sfx}@example.com`, password: "ann password", passwordConfirm: "ann password", name: "Ann",
    });
    await pb.collection(posts.name).create({
        title: "hello", views: 3, status: "live", tags: ["b"], meta: { n: 1 },
        place: { lon: 106.8, lat: -6.2 }, secret: "s", author: ann.id,
    });
    work = await mkdtemp(path.join(here, ".typegen-"));
    srv.defer(() => rm(work, { recursive: true, force: true }));
});

/** typeName is the PascalCase name typegen gives a collection's types. */
function typeName(name) {
    return name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}

async function tsc(dir) {
    const tsconfig = {
        compilerOptions: {
            strict: true, target: "es2022", module: "es2022", moduleResolution: "bundler",
            skipLibCheck: true, outDir: "out", rootDir: ".", types: [],
        },
        include: ["*.ts"],
    };
    await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    try {
        await execFileAsync(process.execPath, [path.join(here, "node_modules/typescript/bin/tsc"), "-p", dir], { timeout: DEADLINE_MS });
        return "";
    } catch (err) {
        if (err.stdout === undefined) {
            throw err;
        }
        return err.stdout || err.message;
    }
}

describe("lumbung typegen", () => {
    test("writes types that compile with the SDK and describe its answers", async () => {
        const out = path.join(work, "ok");
        await execFileAsync("mkdir", ["-p", out]);
        const { stdout } = await execFileAsync(binaryPath(), ["typegen", "--dir", srv.dir, "--out", path.join(out, "types.ts")], {
            env: process.env, timeout: DEADLINE_MS,
        });
        assert.equal(stdout, "");
        const Post = `${typeName(posts.name)}Record`;
        const program = `
import PocketBase from "pocketbase";
import type { CollectionRecords, ${Post}, TypedPocketBase } from "./types.js";

const pb = new PocketBase(${JSON.stringify(srv.url)}) as TypedPocketBase;
await pb.collection("_superusers").authWithPassword(${JSON.stringify(srv.email)}, ${JSON.stringify(srv.password)});

// The collection's name picks its record type.
const list = await pb.collection(${JSON.stringify(posts.name)}).getList(1, 10, { expand: "author" });
const post = list.items[0];
const title: string = post.title;
const views: number = post.views;
const status: "draft" | "live" | "" = post.status;
const tags: Array<"a" | "b"> = post.tags;
const lon: number = post.place.lon;
const cover: string = post.cover;
const created: string = post.created;
const author: string | undefined = post.expand?.author?.name;
const secret: string | undefined = post.secret;

// The SDK's own generic, and the map of every collection.
const one = await pb.collection<${Post}>(${JSON.stringify(posts.name)}).getOne(post.id);
const same: CollectionRecords[${JSON.stringify(posts.name)}] = one;
const other = await pb.collection("${people.name}").getFullList();
const name: string = other[0].name;
const email: string | undefined = other[0].email;

console.log(JSON.stringify({ title, views, status, tags, lon, cover, created, author, secret, name, email, same: same.id === post.id }));
`;
        await writeFile(path.join(out, "program.ts"), program);
        const diagnostics = await tsc(out);
        assert.equal(diagnostics, "", `tsc:\n${diagnostics}`);

        const run = await execFileAsync(process.execPath, [path.join(out, "out", "program.js")], { timeout: DEADLINE_MS });
        const got = JSON.parse(run.stdout);
        assert.equal(got.title, "hello");
        assert.equal(got.views, 3);
        assert.equal(got.status, "live");
        assert.deepEqual(got.tags, ["b"]);
        assert.equal(got.lon, 106.8);
        assert.equal(got.cover, "");
        assert.match(got.created, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        assert.equal(got.author, "Ann");
        assert.equal(got.secret, "s");
        assert.equal(got.name, "Ann");
        assert.match(got.email, /^ann-/);
        assert.equal(got.same, true);
    });

    test("types reject a program that misuses a record", async () => {
        const out = path.join(work, "bad");
        await execFileAsync("mkdir", ["-p", out]);
        await execFileAsync(binaryPath(), ["typegen", "--dir", srv.dir, "--out", path.join(out, "types.ts")], {
            env: process.env, timeout: DEADLINE_MS,
        });
        const Post = `${typeName(posts.name)}Record`;
        const program = [
            `import type { ${Post}, TypedPocketBase } from "./types.js";`,
            `declare const post: ${Post};`,
            `declare const pb: TypedPocketBase;`,
            `export const views: string = post.views;`,
            `export const missing = post.nope;`,
            `export const status: ${Post}["status"] = "archived";`,
            `export const tags: ${Post}["tags"] = ["c"];`,
            `export const geo: number = post.place.x;`,
            `export const typed = pb.collection(${JSON.stringify(posts.name)}).getOne("x").then((p) => p.titel);`,
        ].join("\n");
        await writeFile(path.join(out, "program.ts"), program);
        const diagnostics = await tsc(out);
        for (const line of [4, 5, 6, 7, 8, 9]) {
            assert.match(diagnostics, new RegExp(`program\\.ts\\(${line},\\d+\\): error TS`), `line ${line} compiles:\n${diagnostics}`);
        }
        assert.doesNotMatch(diagnostics, /types\.ts\(/, `the generated module has errors:\n${diagnostics}`);
    });
});
