/// <reference path="../pb_data/types.d.ts" />

// Records: refuse spam, fill a slug, log every new post.
onRecordCreate((e) => {
    const title = e.record.getString("title")
    if (title.indexOf("spam") >= 0) {
        throw new BadRequestError("No spam, please.")
    }
    e.record.set("slug", title.toLowerCase().split(" ").join("-") + (e.collection.name === "posts" ? "" : "-in-" + e.collection.name))
    e.next()
}, "posts")

onRecordCreate((e) => {
    const title = e.record.getString("title")
    if (title === "crash") {
        const missing = null
        missing.boom()
    }
    if (title === "loop") {
        while (true) {}
    }
    e.next()
}, "posts")

onRecordAfterCreateSuccess((e) => {
    const logs = $app.findCollectionByNameOrId("logs")
    const entry = new Record(logs)
    entry.set("message", "created " + e.record.id + " " + e.record.getString("slug"))
    entry.set("at", new Date(Date.UTC(2026, 0, 31, 12, 30)))
    $app.save(entry)
    e.next()
}, "posts")

routerAdd("GET", "/api/hello/{name}", (e) => {
    return e.json(200, { message: "Hello " + e.request.pathValue("name"), user: e.auth.email() })
}, $apis.requireAuth())

routerAdd("POST", "/api/tx", (e) => {
    const message = e.requestInfo().body.message
    let reason = ""
    try {
        $app.runInTransaction((txApp) => {
            const entry = new Record(txApp.findCollectionByNameOrId("logs"))
            entry.set("message", message)
            txApp.save(entry)
            const again = txApp.findFirstRecordByFilter("logs", "message = {:m}", { m: message })
            if (again.id !== entry.id) {
                throw new Error("not found in the transaction")
            }
            throw new Error("roll back")
        })
    } catch (err) {
        reason = err.message
    }
    const found = $app.findRecordsByFilter("logs", "message = {:m}", "-created", 10, 0, { m: message })
    return e.json(200, { count: found.length, reason: reason })
})

routerAdd("GET", "/api/modules", (e) => {
    const greet = require(`${__hooks}/lib/greet.js`)
    const again = require("./lib/greet")
    let refused = ""
    try {
        require("../../etc/passwd")
    } catch (err) {
        refused = String(err)
    }
    return e.json(200, { greeting: greet.greet("ann"), same: greet === again, refused: refused })
})

routerAdd("GET", "/api/missing", (e) => {
    require("./lib/nope")
})

routerAdd("GET", "/api/fetch", (e) => {
    try {
        const res = $http.send({ url: e.request.url.query().get("url"), timeout: 5 })
        return e.json(200, { status: res.statusCode, body: res.json })
    } catch (err) {
        return e.json(200, { error: String(err) })
    }
})

routerAdd("GET", "/api/spin", (e) => {
    console.log("spinning")
    while (true) {}
})

routerAdd("GET", "/api/version", (e) => e.string(200, "v1"))

routerAdd("POST", "/api/echo", (e) => {
    const data = new DynamicModel({ name: "", count: 0 })
    e.bindBody(data)
    return e.json(201, { name: data.name, count: data.count, secret: data.secret === undefined })
})

// A hook PocketBase has and Lumbung not: loads with a warning.
onServe((e) => {
    e.next()
})

// Runs when the scripts load, before the server serves.
onBootstrap((e) => {
    e.next()
    console.log("bootstrapped: " + $app.findCollectionByNameOrId("users").name + " found")
})

onRecordValidate((e) => {
    if (e.record.getString("title") === "invalid") {
        throw new BadRequestError(e.record.isNew() ? "An invalid new post." : "An invalid change of " + e.record.original().getString("title") + ".",
            { title: new ValidationError("validation_invalid_title", "Pick another title.") })
    }
    e.next()
}, "posts")

// Every email: a prefix on the subject, a header, and none to the black hole.
onMailerSend((e) => {
    if (e.message.to.some((a) => a.address === "blackhole@example.com")) {
        return
    }
    e.message.subject = "[App] " + e.message.subject
    e.message.headers["X-Hooked"] = "yes"
    e.next()
})

cronAdd("jsjob", "0 3 * * *", () => {
    const entry = new Record($app.findCollectionByNameOrId("logs"))
    entry.set("message", "cron " + $security.randomString(8).length)
    $app.save(entry)
})

// Updates keep the slug in step with the title; some posts cannot be
// deleted; deletions are logged; the secret field never leaves.
onRecordUpdate((e) => {
    if (e.record.getString("title") !== e.record.original().getString("title")) {
        e.record.set("slug", e.record.getString("title").toLowerCase().split(" ").join("-"))
    }
    e.next()
}, "posts")

onRecordDelete((e) => {
    if (e.record.getString("title") === "keep") {
        throw new ForbiddenError("This post is kept.")
    }
    e.next()
}, "posts")

onRecordAfterDeleteSuccess((e) => {
    const entry = new Record($app.findCollectionByNameOrId("logs"), { message: "deleted " + e.record.id })
    $app.save(entry)
    e.next()
}, "posts")

onRecordEnrich((e) => {
    e.record.hide("secret")
    e.next()
}, "posts")

routerAdd("POST", "/api/posts/{id}/rename", (e) => {
    const post = $app.findRecordById("posts", e.request.pathValue("id"))
    post.set("title", e.requestInfo().body.title)
    $app.save(post)
    return e.json(200, { post: post, collection: post.collection().name, secret: post.getString("secret") })
}, $apis.requireSuperuserAuth())

routerAdd("DELETE", "/api/posts/{id}", (e) => {
    const post = $app.findRecordById("posts", e.request.pathValue("id"))
    $app.delete(post)
    return e.noContent(204)
}, $apis.requireSuperuserAuth())

onRecordAuthRequest((e) => {
    if (e.record.email().startsWith("blocked")) {
        throw new ForbiddenError("This account is blocked.")
    }
    e.next()
}, "users")

// Request hooks.
onRecordCreateRequest((e) => {
    if (e.record.getString("title") === "by me") {
        e.record.set("title", "by " + (e.auth ? e.auth.email() : "a guest"))
    }
    e.next()
    if (e.record.getString("title").startsWith("by ")) {
        console.log("request saved " + e.record.id)
    }
}, "posts")

onRecordCreateRequest((e) => {
    if (e.record.getString("title") === "where") {
        console.log("create request from " + e.realIP())
    }
    if (e.record.getString("title") === "form") {
        const body = e.requestInfo().body
        console.log("form body: " + body.title + ", " + body.secret)
    }
    e.next()
}, "posts")

routerAdd("GET", "/api/ip", (e) => e.json(200, { ip: e.realIP() }))

onRecordsListRequest((e) => {
    e.records = e.records.filter((r) => r.getString("title") !== "hidden")
    e.next()
}, "posts")

onRecordViewRequest((e) => {
    if (e.record.getString("title") === "hidden") {
        throw new NotFoundError()
    }
    e.next()
}, "posts")

onRecordUpdateRequest((e) => {
    if (e.record.getString("title") === "") {
        throw new BadRequestError("A title is needed.", { title: { code: "validation_required", message: "Cannot be blank." } })
    }
    e.next()
}, "posts")

onRecordDeleteRequest((e) => {
    if (e.requestInfo().query.soft === "1") {
        e.record.set("title", "deleted")
        $app.save(e.record)
        return e.json(200, { soft: true, title: e.record.getString("title") })
    }
    e.next()
}, "posts")

// Mail: a message sent through the server's SMTP settings.
routerAdd("POST", "/api/mail", (e) => {
    const message = new MailerMessage({
        from: { address: "app@example.com", name: "The App" },
        to: [{ address: e.requestInfo().body.to }],
        subject: "Hello from a hook",
        html: "<p>Hello</p>",
        text: "Hello",
    })
    $app.newMailClient().send(message)
    return e.json(200, { sent: true })
})

// The auth flows' mails of a record.
routerAdd("POST", "/api/mails/{kind}", (e) => {
    const user = $app.findAuthRecordByEmail("users", e.requestInfo().body.email)
    switch (e.request.pathValue("kind")) {
        case "verification": $mails.sendRecordVerification($app, user); break
        case "reset": $mails.sendRecordPasswordReset($app, user); break
        case "change": $mails.sendRecordChangeEmail($app, user, "new@example.com"); break
        case "otp": $mails.sendRecordOTP($app, user, "otp123", "246810"); break
    }
    return e.json(200, { sent: true })
})

// Collections: one name refused, creates logged.
onCollectionCreate((e) => {
    if (e.collection.name === "forbidden") {
        throw new BadRequestError("No collection may be called forbidden.")
    }
    e.next()
})

onCollectionAfterCreateSuccess((e) => {
    console.log("collection created: " + e.collection.name)
    e.next()
})

// SQL of the app's own: a report, bound parameters, a write.
routerAdd("GET", "/api/report", (e) => {
    const total = new DynamicModel({ total: 0, latest: "" })
    $app.db().newQuery("SELECT count(*) AS total, max(title) AS latest FROM posts WHERE title <> {:skip}")
        .bind({ skip: e.request.url.query().get("skip") }).one(total)
    const rows = arrayOf(new DynamicModel({ title: "", n: 0 }))
    $app.db().newQuery("SELECT title, length(title) AS n FROM posts ORDER BY title LIMIT {:limit}").bind({ limit: 2 }).all(rows)
    $app.db().newQuery("UPDATE posts SET slug = {:slug} WHERE title = {:title}").bind({ slug: "raw", title: "b" }).execute()
    return e.json(200, { total: total.total, latest: total.latest, rows: rows })
}, $apis.requireSuperuserAuth())

routerAdd("GET", "/api/report/bad", (e) => {
    $app.db().newQuery("SELEC title FROM posts").execute()
    return e.json(200, {})
})

routerAdd("POST", "/api/report/undo", (e) => {
    $app.runInTransaction((txApp) => {
        txApp.db().newQuery("UPDATE posts SET slug = 'undone'").execute()
        throw new BadRequestError("Undone.")
    })
})

// More of $app: finds by data, counts, expands, the settings.
routerAdd("GET", "/api/app/{title}", (e) => {
    const post = $app.findFirstRecordByData($app.findCachedCollectionByNameOrId("posts").name, "title", e.request.pathValue("title"))
    const comments = $app.findRecordsByFilter("comments", "post = {:id}", "text", 0, 0, { id: post.id })
    $app.expandRecords(comments, ["post"])
    const one = $app.findRecordById("comments", comments[0].id)
    $app.expandRecord(one, ["post"])
    return e.json(200, {
        count: $app.countRecords("posts"),
        all: $app.findAllRecords("posts").length,
        expanded: comments.map((c) => c.expandedOne("post").getString("title")),
        one: one.expandedAll("post").map((p) => p.id).join(",") === post.id,
        appName: $app.settings().meta.appName,
    })
})

// $security.encrypt/decrypt (PocketBase's AES-256-GCM), sleep.
routerAdd("POST", "/api/secret", (e) => {
    const key = "abcdefghijklmnopqrstuvwxyz123456"
    const sealed = $security.encrypt("hello", key)
    sleep(5)
    return e.json(200, {
        back: $security.decrypt(sealed, key),
        fresh: sealed !== $security.encrypt("hello", key),
        pocketbase: $security.decrypt(e.requestInfo().body.sealed, key),
    })
})

// $template: files of the hooks folder, values escaped.
routerAdd("GET", "/api/page/{name}", (e) => {
    const html = $template.loadFiles(`${__hooks}/views/layout.html`, "views/hello.html")
        .render({ name: e.request.pathValue("name"), note: "<i>trusted</i>" })
    return e.html(200, html + $template.loadString("[{{.n}}]").render({ n: 7 }))
})

routerAdd("GET", "/api/page-outside", (e) => {
    return e.html(200, $template.loadFiles(`${__hooks}/../../secret.html`).render({}))
})

// $filesystem: files made by a hook, stored with the record.
routerAdd("POST", "/api/docs", (e) => {
    const rec = new Record($app.findCollectionByNameOrId("docs"))
    rec.set("title", "generated")
    rec.set("attachment", [$filesystem.fileFromBytes("hello, file", "hello.txt"), $filesystem.fileFromPath("views/layout.html")])
    $app.save(rec)
    return e.json(200, { id: rec.id, files: rec.get("attachment") })
})

routerAdd("POST", "/api/docs/url", (e) => {
    const f = $filesystem.fileFromURL(e.requestInfo().body.url)
    return e.json(200, { name: f.name })
})

onRecordCreate((e) => {
    if (e.record.getString("title") === "sneaky") {
        e.record.set("attachment", $filesystem.fileFromBytes("x", "x.txt"))
    }
    e.next()
}, "docs")

// The auth flows' requests.
onRecordAuthWithPasswordRequest((e) => {
    if (e.identity.startsWith("locked")) {
        throw new ForbiddenError("This account is locked.")
    }
    e.next()
}, "users")

onRecordRequestPasswordResetRequest((e) => {
    if (e.requestInfo().body.email === "quiet@example.com") {
        return e.json(200, { handled: "by a hook" })
    }
    e.next()
}, "users")

onSettingsUpdateRequest((e) => {
    const meta = e.requestInfo().body.meta
    if (meta && meta.appName === "Nope") {
        throw new BadRequestError("Not that name.")
    }
    e.next()
})

// Failed writes.
onRecordAfterCreateError((e) => {
    console.log("create failed: " + e.record.getString("title") + ": " + e.error.message + " " + JSON.stringify(e.error.data))
    e.next()
}, "posts")
