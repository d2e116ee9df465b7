/*
 * Collections and the objects that depend on them: a collection that foreign tables use is not dropped
 * alone, and the extension is not dropped while the database has collections.
 *
 * gv_drop_collection refuses (2BP01, naming the foreign tables) unless asked to cascade, which drops those
 * foreign tables first. DROP EXTENSION govector refuses while the database has collections (2BP01, naming
 * them); with CASCADE, or when the extension goes with something dropped with CASCADE (its schema), every
 * collection of the database is dropped in the same transaction: durably at COMMIT, not at all on ROLLBACK.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "govector_pg.h"

#define GV_MAX_NAMED 20			/* objects named in one error's detail */

static ProcessUtility_hook_type prev_process_utility = NULL;
static object_access_hook_type prev_object_access = NULL;

/* The foreign tables of this database (on govector's wrapper) whose collection option is `collection`. */
List *
gv_collection_users(const char *collection)
{
	Oid			fdw = get_foreign_data_wrapper_oid("govector", true);
	List	   *users = NIL;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(fdw))
		return NIL;
	rel = table_open(ForeignTableRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_foreign_table ft = (Form_pg_foreign_table) GETSTRUCT(tup);
		ForeignTable *table;
		ListCell   *lc;

		if (GetForeignServer(ft->ftserver)->fdwid != fdw)
			continue;
		table = GetForeignTable(ft->ftrelid);
		foreach(lc, table->options)
		{
			DefElem    *opt = lfirst(lc);

			if (strcmp(opt->defname, "collection") == 0 && strcmp(defGetString(opt), collection) == 0)
				users = lappend_oid(users, ft->ftrelid);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return users;
}

static void
gv_append_named(StringInfo buf, int i, const char *kind, const char *name)
{
	if (i > 0)
		appendStringInfoChar(buf, '\n');
	if (i < GV_MAX_NAMED)
		appendStringInfo(buf, "%s %s", kind, name);
	else if (i == GV_MAX_NAMED)
		appendStringInfoString(buf, "and more");
}

static char *
gv_table_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/*
 * Before a collection is dropped: raises when foreign tables use it, unless cascade, which drops them (the
 * caller must own each, as DROP FOREIGN TABLE requires).
 */
void
gv_check_collection_users(const char *collection, bool cascade)
{
	List	   *users = gv_collection_users(collection);
	ListCell   *lc;

	if (users == NIL)
		return;
	if (!cascade)
	{
		StringInfoData detail;
		int			i = 0;

		initStringInfo(&detail);
		foreach(lc, users)
			gv_append_named(&detail, i++, "foreign table", gv_table_name(lfirst_oid(lc)));
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop collection \"%s\" because foreign tables use it", collection),
				 errdetail("%s", detail.data),
				 errhint("Drop the foreign tables first, or call gv_drop_collection('%s', cascade => true) to drop "
						 "them too.", collection)));
	}
	foreach(lc, users)
	{
		Oid			relid = lfirst_oid(lc);
		ObjectAddress obj;

		if (!pg_class_ownercheck(relid, GetUserId()))
			aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
		ereport(NOTICE, (errmsg("drop cascades to foreign table %s", gv_table_name(relid))));
		ObjectAddressSet(obj, RelationRelationId, relid);
		performDeletion(&obj, DROP_CASCADE, 0);
	}
}

/* Whether a DROP statement names the govector extension. */
static bool
gv_drops_govector(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), "govector") == 0)
			return true;
	}
	return false;
}

/* DROP EXTENSION govector without CASCADE: refused while the database has collections. */
static void
gv_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, DropStmt) && gv_drops_govector((DropStmt *) parsetree) &&
		((DropStmt *) parsetree)->behavior == DROP_RESTRICT && OidIsValid(get_extension_oid("govector", true)))
	{
		GvResponse *resp = gv_engine_list_collections();

		if (resp->n_collections > 0)
		{
			StringInfoData detail;

			initStringInfo(&detail);
			for (size_t i = 0; i < resp->n_collections; i++)
				gv_append_named(&detail, (int) i, "collection", quote_identifier(resp->collections[i]->name));
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop extension govector because this database has collections"),
					 errdetail("%s", detail.data),
					 errhint("Use DROP EXTENSION govector CASCADE to drop them too (part of the transaction), or drop "
							 "them first with gv_drop_collection.")));
		}
	}
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

/* The extension is being dropped (with CASCADE, directly or with its schema): its collections go with it. */
static void
gv_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && classId == ExtensionRelationId && objectId == get_extension_oid("govector", true))
	{
		GvResponse *resp = gv_engine_list_collections();
		size_t		n = resp->n_collections;
		char	  **names = palloc(sizeof(char *) * (n > 0 ? n : 1));

		for (size_t i = 0; i < n; i++)
			names[i] = pstrdup(resp->collections[i]->name);
		for (size_t i = 0; i < n; i++)
		{
			ereport(NOTICE, (errmsg("drop cascades to collection %s", quote_identifier(names[i]))));
			(void) gv_engine_drop_collection(names[i], true);
		}
	}
}

void
gv_lifecycle_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = gv_process_utility;
	prev_object_access = object_access_hook;
	object_access_hook = gv_object_access;
}
