/*
 * One typed function per engine request, for the gv_* functions and the foreign data wrapper: each fills
 * the protobuf-c message from its arguments and sends it with gv_call, through which every request goes
 * (it raises the engine's errors, and makes writes part of the transaction). Answers are allocated in the
 * current memory context.
 */
#include "postgres.h"

#include "govector_pg.h"

/*
 * Sends msg as the request's operation kind (its oneof member field) and returns the answer. The request
 * is GOVECTOR__PB__REQUEST__INIT with the operation set; gv_call fills in the namespace.
 */
#define GV_SEND(field, kind, msg) \
	gv_call(&(GvRequest) {.base = PROTOBUF_C_MESSAGE_INIT(&govector__pb__request__descriptor), \
						  .op_case = GOVECTOR__PB__REQUEST__OP_##kind, .field = (msg)})

/* Sets the fields of a get, search or scroll request that say which parts of each record to return. */
#define GV_SET_PARTS(msg, parts) \
	do { \
		(msg).with_payload = (parts)->payload; \
		(msg).with_vector = (parts)->vector; \
		(msg).columns = (parts)->columns; \
		(msg).n_columns = (parts)->ncolumns; \
	} while (0)

/* ---------------------------------------------------------------------------------------------------------
 * Collections
 */

void
gv_engine_create_collection(const char *name, uint32 dimension, const char *distance, const char *index,
							uint32 m, uint32 ef_construct, uint32 ef, const char *quantization)
{
	Govector__Pb__CreateCollectionRequest c = GOVECTOR__PB__CREATE_COLLECTION_REQUEST__INIT;

	c.name = unconstify(char *, name);
	c.dimension = dimension;
	c.distance = unconstify(char *, distance);
	c.index = unconstify(char *, index);
	c.m = m;
	c.ef_construct = ef_construct;
	c.ef = ef;
	c.quantization = unconstify(char *, quantization);
	(void) GV_SEND(create_collection, CREATE_COLLECTION, &c);
}

bool
gv_engine_drop_collection(const char *name, bool if_exists)
{
	Govector__Pb__DropCollectionRequest d = GOVECTOR__PB__DROP_COLLECTION_REQUEST__INIT;

	d.name = unconstify(char *, name);
	d.if_exists = if_exists;
	return GV_SEND(drop_collection, DROP_COLLECTION, &d)->count != 0;
}

GvResponse *
gv_engine_list_collections(void)
{
	Govector__Pb__ListCollectionsRequest l = GOVECTOR__PB__LIST_COLLECTIONS_REQUEST__INIT;

	return GV_SEND(list_collections, LIST_COLLECTIONS, &l);
}

Govector__Pb__CollectionSummary *
gv_engine_find_collection(const char *name)
{
	GvResponse *resp = gv_engine_list_collections();

	for (size_t i = 0; i < resp->n_collections; i++)
		if (strcmp(resp->collections[i]->name, name) == 0)
			return resp->collections[i];
	return NULL;
}

char *
gv_engine_collection_info(const char *name)
{
	Govector__Pb__CollectionInfoRequest r = GOVECTOR__PB__COLLECTION_INFO_REQUEST__INIT;

	r.name = unconstify(char *, name);
	return GV_SEND(collection_info, COLLECTION_INFO, &r)->json;
}

void
gv_engine_create_payload_index(const char *collection, const char *field, const char *type)
{
	Govector__Pb__CreatePayloadIndexRequest r = GOVECTOR__PB__CREATE_PAYLOAD_INDEX_REQUEST__INIT;

	r.collection = unconstify(char *, collection);
	r.field = unconstify(char *, field);
	r.type = unconstify(char *, type);
	(void) GV_SEND(create_payload_index, CREATE_PAYLOAD_INDEX, &r);
}

char *
gv_engine_status_json(void)
{
	Govector__Pb__EngineStatusRequest r = GOVECTOR__PB__ENGINE_STATUS_REQUEST__INIT;

	return GV_SEND(engine_status, ENGINE_STATUS, &r)->json;
}

/* ---------------------------------------------------------------------------------------------------------
 * Points
 */

uint64
gv_engine_upsert(const char *collection, Govector__Pb__PointInput **points, size_t n)
{
	Govector__Pb__UpsertRequest u = GOVECTOR__PB__UPSERT_REQUEST__INIT;

	u.collection = unconstify(char *, collection);
	u.points = points;
	u.n_points = n;
	return GV_SEND(upsert, UPSERT, &u)->count;
}

GvResponse *
gv_engine_get(const char *collection, char **ids, size_t n, const GvRecordParts *parts)
{
	Govector__Pb__GetRequest g = GOVECTOR__PB__GET_REQUEST__INIT;

	g.collection = unconstify(char *, collection);
	g.ids = ids;
	g.n_ids = n;
	GV_SET_PARTS(g, parts);
	return GV_SEND(get, GET, &g);
}

uint64
gv_engine_delete(const char *collection, char **ids, size_t n, const char *filter_json)
{
	Govector__Pb__DeleteRequest d = GOVECTOR__PB__DELETE_REQUEST__INIT;

	d.collection = unconstify(char *, collection);
	if (ids != NULL)
	{
		d.ids = ids;
		d.n_ids = n;
	}
	else
	{
		d.filter_json = unconstify(char *, filter_json[0] != '\0' ? filter_json : "{}");
		d.has_filter = true;
	}
	return GV_SEND(delete_, DELETE, &d)->count;
}

uint64
gv_engine_count(const char *collection, const char *filter_json)
{
	Govector__Pb__CountRequest c = GOVECTOR__PB__COUNT_REQUEST__INIT;

	c.collection = unconstify(char *, collection);
	c.filter_json = unconstify(char *, filter_json);
	return GV_SEND(count, COUNT, &c)->count;
}

GvResponse *
gv_engine_search(const char *collection, const GvSearchQuery *query, const GvRecordParts *parts)
{
	Govector__Pb__SearchRequest s = GOVECTOR__PB__SEARCH_REQUEST__INIT;

	s.collection = unconstify(char *, collection);
	if (query->id != NULL)
		s.query_id = unconstify(char *, query->id);
	else
	{
		s.vector = unconstify(float *, query->vector);
		s.n_vector = query->dim;
	}
	s.k = query->k;
	s.offset = query->offset;
	s.filter_json = unconstify(char *, query->filter_json);
	s.ef = query->ef;
	s.exact = query->exact;
	GV_SET_PARTS(s, parts);
	return GV_SEND(search, SEARCH, &s);
}

GvResponse *
gv_engine_scroll(const char *collection, const char *filter_json, uint32 limit, const char *after,
				 const GvRecordParts *parts)
{
	Govector__Pb__ScrollRequest s = GOVECTOR__PB__SCROLL_REQUEST__INIT;

	s.collection = unconstify(char *, collection);
	s.filter_json = unconstify(char *, filter_json);
	s.limit = limit;
	if (after != NULL)
	{
		s.after = unconstify(char *, after);
		s.has_after = true;
	}
	GV_SET_PARTS(s, parts);
	return GV_SEND(scroll, SCROLL, &s);
}

/* ---------------------------------------------------------------------------------------------------------
 * Payloads
 */

uint64
gv_engine_set_payload(const char *collection, char **ids, size_t n, const char *payload_json, bool overwrite)
{
	Govector__Pb__SetPayloadRequest s = GOVECTOR__PB__SET_PAYLOAD_REQUEST__INIT;

	s.collection = unconstify(char *, collection);
	s.ids = ids;
	s.n_ids = n;
	s.payload_json = unconstify(char *, payload_json);
	s.overwrite = overwrite;
	return GV_SEND(set_payload, SET_PAYLOAD, &s)->count;
}

uint64
gv_engine_delete_payload(const char *collection, char **ids, size_t n, char **keys, size_t nkeys)
{
	Govector__Pb__DeletePayloadRequest d = GOVECTOR__PB__DELETE_PAYLOAD_REQUEST__INIT;

	d.collection = unconstify(char *, collection);
	d.ids = ids;
	d.n_ids = n;
	if (keys != NULL)
	{
		d.keys = keys;
		d.n_keys = nkeys;
	}
	else
		d.clear = true;
	return GV_SEND(delete_payload, DELETE_PAYLOAD, &d)->count;
}
