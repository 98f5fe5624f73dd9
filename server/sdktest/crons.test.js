// Cron jobs through pb.crons (/api/crons): the list as PocketBase
// answers it (id, expression), Lumbung's lastRun beside, and run now.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DATETIME } from "./expect.js";
import { newClient, superuserClient, useServer } from "./server.js";

const CLEANUP = "__lumbungCronRunsCleanup__";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let pb;
let user;

const srv = useServer(async () => {
    pb = await superuserClient(srv);
    const email = "crons-user@example.com";
    await pb.collection("users").create({ email, password: "long enough password", passwordConfirm: "long enough password" });
    user = newClient(srv);
    await user.collection("users").authWithPassword(email, "long enough password");
});

test("getFullList and run", async () => {
    const list = await pb.crons.getFullList();
    const job = list.find((j) => j.id === CLEANUP);
    assert.ok(job, JSON.stringify(list));
    assert.equal(job.expression, "@hourly");

    assert.equal(await pb.crons.run(CLEANUP), true);
    let run = null;
    for (let i = 0; i < 200 && !run?.finished; i++) { // the run is in the background
        run = (await pb.crons.getFullList()).find((j) => j.id === CLEANUP).lastRun;
        if (!run?.finished) await sleep(25);
    }
    assert.ok(run?.finished, "the run's end is recorded");
    assert.equal(run.error, "");
    assert.equal(run.manual, true);
    assert.match(run.started, DATETIME);
    assert.match(run.finished, DATETIME);
    assert.ok(run.duration >= 0);
});

test("refusals", async () => {
    await assert.rejects(pb.crons.run("missing"), (e) => e.status === 404 && e.response.message === "Missing or invalid cron job.");
    await assert.rejects(user.crons.getFullList(), (e) => e.status === 403);
    await assert.rejects(user.crons.run(CLEANUP), (e) => e.status === 403);
    const guest = newClient(srv);
    await assert.rejects(guest.crons.getFullList(), (e) => e.status === 401);
    await assert.rejects(guest.crons.run(CLEANUP), (e) => e.status === 401);
});
