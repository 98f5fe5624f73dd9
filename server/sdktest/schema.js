// Collections the tests create. Names carry a random suffix so that files
// sharing one database (DATABASE_URL) never collide.

import { uniqueSuffix } from "./server.js";

/** authorsBody returns the create body of an "authors" base collection. */
export function authorsBody(name = `authors_${uniqueSuffix()}`) {
    return {
        name,
        type: "base",
        fields: [{ name: "name", type: "text", required: true }],
    };
}

/** postsBody returns the create body of a "posts" base collection relating to `authorsId`. */
export function postsBody(authorsId, name = `posts_${uniqueSuffix()}`) {
    return {
        name,
        type: "base",
        fields: [
            { name: "title", type: "text", required: true },
            { name: "views", type: "number" },
            { name: "published", type: "bool" },
            { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
            { name: "meta", type: "json" },
            { name: "when", type: "date" },
            { name: "author", type: "relation", collectionId: authorsId, maxSelect: 1 },
        ],
    };
}

/**
 * createBlog creates an authors and a posts collection and returns both
 * collection models as the server answered them.
 */
export async function createBlog(pb) {
    const authors = await pb.collections.create(authorsBody());
    const posts = await pb.collections.create(postsBody(authors.id));
    return { authors, posts };
}

/** dropCollections deletes collections, last created first, ignoring failures. */
export async function dropCollections(pb, collections) {
    for (const c of [...collections].reverse()) {
        if (c?.id) {
            await pb.collections.delete(c.id).catch(() => {});
        }
    }
}
