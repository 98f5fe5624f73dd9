// The record types of this server's collections, for the pocketbase SDK:
//
//	const pb = new PocketBase(url) as TypedPocketBase;
//	const posts = await pb.collection("posts").getList(1, 20); // PostsRecord items
//	const one = await new PocketBase(url).collection<PostsRecord>("posts").getOne(id);
//
// Written by "lumbung typegen"; run it again after the schema changes.

import type PocketBase from "pocketbase";
import type { RecordModel, RecordService } from "pocketbase";

/** A date as records carry it: "2006-01-02 15:04:05.000Z" (UTC), "" when unset. */
export type DateString = string;
/** The id of a record. */
export type RecordIdString = string;
/** The name of a file kept by a record, served at /api/files/{collection}/{record id}/{name}. */
export type FileNameString = string;
/** The value of a geoPoint field. */
export interface GeoPoint {
	lon: number;
	lat: number;
}

/** BaseRecord is what every record has. */
export interface BaseRecord {
	id: RecordIdString;
	collectionId: string;
	collectionName: string;
	expand?: { [relation: string]: unknown };
}

/** SuperusersRecord is a record of the auth collection _superusers. */
export interface SuperusersRecord extends BaseRecord {
	collectionId: "pbc_su";
	collectionName: "_superusers";
	id: string;
	/** Left out of other records unless their emailVisibility is set. */
	email?: string;
}

/** PeopleRecord is a record of the auth collection people. */
export interface PeopleRecord extends BaseRecord {
	collectionId: "pbc_people";
	collectionName: "people";
	id: string;
	/** Left out of other records unless their emailVisibility is set. */
	email?: string;
	emailVisibility: boolean;
	verified: boolean;
	name: string;
}

/** PostsRecord is a record of the base collection posts. */
export interface PostsRecord extends BaseRecord {
	collectionId: "pbc_posts";
	collectionName: "posts";
	id: string;
	title: string;
	body: string;
	site: string;
	views: number;
	live: boolean;
	when: DateString;
	status: "draft" | "live" | "";
	tags: Array<"a" | "b'c">;
	meta: unknown;
	place: GeoPoint;
	cover: FileNameString;
	files: FileNameString[];
	author: RecordIdString;
	editors: RecordIdString[];
	/** Hidden: only superusers read it. */
	note?: string;
	created: DateString;
	expand?: { author?: PeopleRecord; editors?: PeopleRecord[]; [relation: string]: unknown };
}

/** Superusers2Record is a record of the base collection superusers. */
export interface Superusers2Record extends BaseRecord {
	collectionId: "pbc_su2";
	collectionName: "superusers";
	id: string;
	"my-field": string;
}

/** CollectionRecords maps the name of each collection to the type of its records. */
export interface CollectionRecords {
	_superusers: SuperusersRecord;
	people: PeopleRecord;
	posts: PostsRecord;
	superusers: Superusers2Record;
}

/** CollectionName is the name of a collection. */
export type CollectionName = keyof CollectionRecords;

/**
 * TypedPocketBase is a PocketBase client whose collection(name) knows the
 * record type of each collection: new PocketBase(url) as TypedPocketBase.
 */
export interface TypedPocketBase extends PocketBase {
	collection<K extends CollectionName>(idOrName: K): RecordService<CollectionRecords[K]>;
	collection<M = RecordModel>(idOrName: string): RecordService<M>;
}
