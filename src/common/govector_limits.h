/*
 * govector's limits, defaults and status codes, in plain C, for every side that needs them: the engine
 * (C++, which names them in engine/config.h and engine/status.h), the Postgres extension (C, src/pg) and
 * the HTTP layer (src/server). Nothing here is typed again elsewhere: change a value here and every side
 * follows. Status codes and subject kinds are also on the wire (Response.code, Response.subject_kind in
 * proto/govector.proto): existing values never change.
 */
#ifndef GOVECTOR_LIMITS_H
#define GOVECTOR_LIMITS_H

/* ---- Limits. A request outside them is refused (kInvalidArgument) before anything changes. ---- */

#define GV_MAX_DIMENSION 16000
#define GV_MAX_COLLECTION_NAME_BYTES 255
#define GV_MAX_ID_BYTES 256				/* the longest string id */
#define GV_MAX_K 10000					/* the most points one search returns */
#define GV_MAX_OFFSET 100000			/* the most points a search may skip */
#define GV_MAX_BATCH_SEARCHES 1000		/* the most searches one HTTP batch holds */
#define GV_MAX_BATCH_ANSWER 10000		/* the most points one HTTP batch asks for (the sum of its limits) */
#define GV_MAX_EF 100000
#define GV_MIN_M 2
#define GV_MAX_M 512
#define GV_MIN_EF_CONSTRUCT 1
#define GV_MAX_EF_CONSTRUCT 10000
#define GV_MAX_BATCH_POINTS 1000000		/* the most points one upsert writes */
#define GV_MAX_SCROLL_LIMIT 100000		/* the most points one scroll page holds */

/* ---- Defaults ---- */

/* A collection's, when its creator does not choose (or sends 0). */
#define GV_DEFAULT_M 16
#define GV_DEFAULT_EF_CONSTRUCT 100
#define GV_DEFAULT_EF 64				/* a search's ef when it gives none */
/* How many points a search returns when the caller does not say (SQL's k, Qdrant's limit). */
#define GV_DEFAULT_K 10

/*
 * The foreign data wrapper's batches: rows an INSERT or COPY sends per upsert (the table's batch_size
 * option, and its range), points per scroll page of a plain scan, and the first search of an ordered scan
 * without a LIMIT. Each fits in one engine request.
 */
#define GV_FDW_DEFAULT_INSERT_BATCH 1000
#define GV_FDW_MAX_INSERT_BATCH 100000
#define GV_FDW_SCROLL_BATCH 1000
#define GV_FDW_SEARCH_BATCH 100

#ifdef __cplusplus
#define GV_LIMITS_ASSERT(cond, what) static_assert(cond, what)
#else
#define GV_LIMITS_ASSERT(cond, what) _Static_assert(cond, what)
#endif
GV_LIMITS_ASSERT(GV_FDW_MAX_INSERT_BATCH <= GV_MAX_BATCH_POINTS, "an insert batch fits in one upsert");
GV_LIMITS_ASSERT(GV_FDW_SCROLL_BATCH <= GV_MAX_SCROLL_LIMIT, "a scroll batch fits in one page");
GV_LIMITS_ASSERT(GV_FDW_SEARCH_BATCH <= GV_MAX_K, "a search batch fits in one search");
GV_LIMITS_ASSERT(GV_MIN_EF_CONSTRUCT <= GV_DEFAULT_EF_CONSTRUCT && GV_DEFAULT_EF_CONSTRUCT <= GV_MAX_EF_CONSTRUCT,
				 "the default ef_construct is allowed");
GV_LIMITS_ASSERT(GV_MIN_M <= GV_DEFAULT_M && GV_DEFAULT_M <= GV_MAX_M, "the default m is allowed");
GV_LIMITS_ASSERT(GV_DEFAULT_EF <= GV_MAX_EF && GV_DEFAULT_K <= GV_MAX_K, "the default ef and k are allowed");
#undef GV_LIMITS_ASSERT

/* ---- Status codes ---- */

/*
 * Coarse on purpose: each maps onto one SQLSTATE in the extension and one HTTP status in the REST server
 * (the comments say which), so a code says what the caller should do about an error; the message says
 * the specifics.
 */
typedef enum GvStatusCode
{
	GV_STATUS_OK = 0,
	GV_STATUS_INVALID_ARGUMENT = 1, /* bad input: fix the request (SQLSTATE 22023, HTTP 400) */
	GV_STATUS_NOT_FOUND = 2,	/* an unknown collection or point (42704, 404) */
	GV_STATUS_ALREADY_EXISTS = 3,	/* a duplicate collection (42710, 409) */
	GV_STATUS_INVALID_FILTER = 4,	/* malformed filter JSON (22P02, 400) */
	GV_STATUS_RESOURCE_EXHAUSTED = 5,	/* a limit was hit: size, memory, map full (53000, 507) */
	GV_STATUS_IO_ERROR = 6,		/* storage failed: disk, LMDB (58030, 500) */
	GV_STATUS_INTERNAL = 7,		/* a bug or broken invariant (XX000, 500) */
	GV_STATUS_UNAVAILABLE = 8,	/* the engine is shutting down or not ready (08006, 503) */
	GV_STATUS_CANCELLED = 9,	/* the caller gave up (57014, 500) */
	GV_STATUS_READ_ONLY = 10,	/* a write on a read-only server, a hot standby (25006, 403) */
	GV_STATUS_UNSUPPORTED = 11,	/* data or a request this engine cannot handle: a newer format (0A000, 500) */
	GV_STATUS_DISK_FULL = 12	/* the data directory's file system is full (53100, 507) */
} GvStatusCode;

/*
 * What an error is about, when it is about one named thing. An adapter words such an error its own way
 * from the kind and the name (the extension: collection "x" does not exist), without reading the message.
 */
typedef enum GvSubjectKind
{
	GV_SUBJECT_NONE = 0,
	GV_SUBJECT_COLLECTION = 1,	/* the name is the collection's */
	GV_SUBJECT_POINT = 2		/* the name is the point's id, as text */
} GvSubjectKind;

#endif							/* GOVECTOR_LIMITS_H */
