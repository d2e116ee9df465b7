/*
 * The options of govector foreign tables and their columns (the counterpart of postgres_fdw's option.c):
 * the validator, driven by one table of the valid options, and a table's definition read and checked
 * from the catalog (gv_fdw_table), which every callback works from.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "fdw.h"
#include "utils/guc.h"

#include "govector_pg.h"

/* ---------------------------------------------------------------------------------------------------------
 * Validation
 */

static void gv_check_collection(const char *value);
static void gv_check_batch_size(const char *value);
static void gv_check_payload_key(const char *value);
static void gv_invalid_option(const char *name, Oid catalog) pg_attribute_noreturn();

/* An option the validator accepts: the catalog of the objects it is given on, and its value's check. */
typedef struct GvOption
{
	const char *name;
	Oid			catalog;		/* ForeignTableRelationId or AttributeRelationId */
	const char *example;		/* set for an option the object must have (only foreign tables have one) */
	void		(*check) (const char *value);
} GvOption;

static const GvOption gv_options[] = {
	{"collection", ForeignTableRelationId, "collection 'items'", gv_check_collection},
	{"batch_size", ForeignTableRelationId, NULL, gv_check_batch_size},
	{"payload_key", AttributeRelationId, NULL, gv_check_payload_key},
};

/*
 * With check_function_bodies off, as every pg_dump output sets it, the checks that depend on other objects are
 * left to the first query (which makes them anyway): a restore creates foreign tables before the collections
 * they name exist, and adds payload_key column options in ALTER statements after CREATE.
 */
static bool
gv_restoring(void)
{
	return !check_function_bodies;
}

static void
gv_check_collection(const char *value)
{
	if (gv_restoring())
		return;
	if (gv_engine_find_collection(value) == NULL)
		gv_report_no_collection(value);
}

static void
gv_check_batch_size(const char *value)
{
	char	   *end;
	long		n = strtol(value, &end, 10);

	if (*end != '\0' || n < 1 || n > GV_FDW_MAX_INSERT_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("govector: batch_size must be an integer between 1 and %d, got \"%s\"",
						GV_FDW_MAX_INSERT_BATCH, value)));
}

static void
gv_check_payload_key(const char *value)
{
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("govector: payload_key must not be empty")));
}

/* The option name given on an object of catalog, or NULL when there is none. */
static const GvOption *
gv_find_option(const char *name, Oid catalog)
{
	for (int i = 0; i < lengthof(gv_options); i++)
		if (gv_options[i].catalog == catalog && strcmp(gv_options[i].name, name) == 0)
			return &gv_options[i];
	return NULL;
}

static void
gv_invalid_option(const char *name, Oid catalog)
{
	StringInfoData valid;

	initStringInfo(&valid);
	for (int i = 0; i < lengthof(gv_options); i++)
		if (gv_options[i].catalog == catalog)
			appendStringInfo(&valid, "%s%s", valid.len > 0 ? ", " : "", gv_options[i].name);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("govector: invalid option \"%s\"", name),
			 valid.len > 0 ? errhint("Valid options here are: %s.", valid.data)
			 : errhint("There are no options for this object.")));
}

PG_FUNCTION_INFO_V1(govector_fdw_validator);
Datum
govector_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	bool		given[lengthof(gv_options)] = {false};
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);
		const char *v = defGetString(d);
		const GvOption *o = gv_find_option(d->defname, catalog);

		if (o == NULL)
			gv_invalid_option(d->defname, catalog);
		given[o - gv_options] = true;
		o->check(v);
	}
	for (int i = 0; i < lengthof(gv_options); i++)
		if (gv_options[i].catalog == catalog && gv_options[i].example != NULL && !given[i])
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("govector: a foreign table needs the option %s", gv_options[i].name),
					 errhint("For example OPTIONS (%s).", gv_options[i].example)));
	PG_RETURN_VOID();
}

/* Called by the extension's event trigger after CREATE/ALTER FOREIGN TABLE: checks the columns at once. */
PG_FUNCTION_INFO_V1(gv_fdw_check_table);
Datum
gv_fdw_check_table(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	HeapTuple	tup = SearchSysCache1(FOREIGNTABLEREL, ObjectIdGetDatum(relid));
	Oid			serverid;
	ForeignServer *server;
	ForeignDataWrapper *fdw;

	if (!HeapTupleIsValid(tup) || gv_restoring())
	{
		if (HeapTupleIsValid(tup))
			ReleaseSysCache(tup);
		PG_RETURN_VOID();
	}
	serverid = ((Form_pg_foreign_table) GETSTRUCT(tup))->ftserver;
	ReleaseSysCache(tup);
	server = GetForeignServer(serverid);
	fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "govector") == 0)
		(void) gv_fdw_table(relid);
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------------------------------------------
 * Table definitions
 */

const char *
gv_map_type_name(GvMapType t)
{
	static const char *const names[] = {"text", "number", "bool", "json"};

	return names[t];
}

static char *
gv_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, name) == 0)
			return defGetString(d);
	}
	return NULL;
}

/* The columns that show a part of every point (rather than a payload key), and the types they must have. */
static const struct
{
	const char *name;
	GvColumnKind kind;
	Oid			type;
	Oid			other_type;		/* another type it may have (InvalidOid: none) */
	const char *type_name;
	size_t		attnum_offset;	/* of the GvTable field that keeps its attnum */
}			gv_point_columns[] = {
	{"id", GV_COL_ID, TEXTOID, VARCHAROID, "text", offsetof(GvTable, id_attnum)},
	{"vector", GV_COL_VECTOR, FLOAT4ARRAYOID, InvalidOid, "real[]", offsetof(GvTable, vector_attnum)},	/* or others */
	{"payload", GV_COL_PAYLOAD, JSONBOID, InvalidOid, "jsonb", offsetof(GvTable, payload_attnum)},
	{"version", GV_COL_VERSION, INT8OID, InvalidOid, "bigint", offsetof(GvTable, version_attnum)},
};

/*
 * The vector column: real[], double precision[] or numeric[] (or a domain over one, such as gv_vector), or
 * pgvector's vector or halfvec. It reads back in its own type; every one of them is stored as real (float32).
 */
static void
gv_vector_column(GvTable *t, GvColumn *c)
{
	Oid			base = getBaseType(c->type);

	if (base != FLOAT4ARRAYOID && base != FLOAT8ARRAYOID && base != NUMERICARRAYOID && !gv_is_pgvector_type(base))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("govector: column \"%s\" must have type real[], double precision[] or numeric[] (or "
						"pgvector's vector or halfvec), not %s", c->name, format_type_be(c->type))));
	t->vector_type = base;
	t->vector_typmod = c->typmod;
}

/* A column without payload_key: which part of a point it shows (it must show one, with the right type). */
static void
gv_point_column(GvTable *t, Relation rel, Form_pg_attribute att, GvColumn *c)
{
	for (int i = 0; i < lengthof(gv_point_columns); i++)
	{
		if (strcmp(c->name, gv_point_columns[i].name) != 0)
			continue;
		if (gv_point_columns[i].kind == GV_COL_VECTOR)
			gv_vector_column(t, c);
		else if (c->type != gv_point_columns[i].type && c->type != gv_point_columns[i].other_type)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("govector: column \"%s\" must have type %s, not %s", c->name,
							gv_point_columns[i].type_name, format_type_be(c->type))));
		c->kind = gv_point_columns[i].kind;
		*(AttrNumber *) ((char *) t + gv_point_columns[i].attnum_offset) = att->attnum;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
			 errmsg("govector: column \"%s\" of foreign table \"%s\" maps nothing in the collection",
					c->name, RelationGetRelationName(rel)),
			 errhint("Name columns id, vector, payload or version, or map a payload key with "
					 "OPTIONS (payload_key 'key').")));
}

/* How a column of this type that maps a payload key sees the key's value. */
static GvMapType
gv_map_type(const char *name, Oid type)
{
	switch (type)
	{
		case TEXTOID:
		case VARCHAROID:
			return GV_MAP_TEXT;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return GV_MAP_NUMBER;
		case BOOLOID:
			return GV_MAP_BOOL;
		case JSONBOID:
		case JSONOID:
			return GV_MAP_JSON;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("govector: column \"%s\" has type %s, which cannot hold a payload value",
					name, format_type_be(type)),
			 errhint("Give payload columns type text, varchar, a number type, boolean or jsonb.")));
	return GV_MAP_TEXT;			/* keep compiler quiet */
}

/* The table's definition, checked: every column must show something a point has. */
GvTable *
gv_fdw_table(Oid relid)
{
	ForeignTable *ft = GetForeignTable(relid);
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	GvTable    *t = palloc0(sizeof(GvTable));
	char	   *batch;

	t->relid = relid;
	t->collection = gv_option(ft->options, "collection");
	if (t->collection == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("govector: foreign table \"%s\" has no collection option", RelationGetRelationName(rel))));
	batch = gv_option(ft->options, "batch_size");
	t->batch_size = batch ? atoi(batch) : GV_FDW_DEFAULT_INSERT_BATCH;
	t->natts = desc->natts;
	t->columns = palloc0(sizeof(GvColumn) * (desc->natts > 0 ? desc->natts : 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		GvColumn   *c = &t->columns[i];
		char	   *key;

		c->kind = GV_COL_DROPPED;
		if (att->attisdropped)
			continue;
		c->name = pstrdup(NameStr(att->attname));
		c->type = att->atttypid;
		c->typmod = att->atttypmod;
		key = gv_option(GetForeignColumnOptions(relid, att->attnum), "payload_key");
		if (key != NULL)
		{
			c->kind = GV_COL_MAPPED;
			c->payload_key = key;
			c->map_type = gv_map_type(c->name, c->type);
		}
		else
			gv_point_column(t, rel, att, c);
	}
	table_close(rel, AccessShareLock);
	return t;
}
