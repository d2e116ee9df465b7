/*
 * The govector foreign data wrapper: a collection seen as a table.
 *
 *   fdw.c            the handler, planning, IMPORT FOREIGN SCHEMA
 *   fdw_option.c     option validation; table definitions (gv_fdw_table)
 *   fdw_scan.c       scans, and reading one whole point into a slot
 *   fdw_modify.c     INSERT, COPY, UPDATE, DELETE, and DELETE pushed down whole
 *   fdw_pushdown.c   recognises the WHERE clauses the engine can evaluate, as filter nodes
 *   fdw_shippable.c  what the engine evaluates exactly as Postgres does; the distance operators
 *   fdw_render.c     filter nodes as engine filter JSON
 *
 * A foreign table maps one collection. Columns named id (text), vector (real[]), payload (jsonb) and
 * version (bigint) show those parts of a point; any other column must carry OPTIONS (payload_key 'k') and
 * shows the payload's top-level key k typed as the column (text, a number type, boolean or jsonb), with
 * the conversion the engine's {"column": ...} condition uses (engine/column.h), so pushed-down conditions
 * keep exactly the rows Postgres would.
 */
#ifndef GOVECTOR_FDW_H
#define GOVECTOR_FDW_H

#include "postgres.h"

#include "foreign/fdwapi.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

#include "govector.pb-c.h"
#include "govector_limits.h"

typedef enum GvColumnKind
{
	GV_COL_DROPPED,
	GV_COL_ID,
	GV_COL_VECTOR,
	GV_COL_PAYLOAD,
	GV_COL_VERSION,
	GV_COL_MAPPED
} GvColumnKind;

/* How a mapped column's type sees the payload value (the engine's column types). */
typedef enum GvMapType
{
	GV_MAP_TEXT,
	GV_MAP_NUMBER,
	GV_MAP_BOOL,
	GV_MAP_JSON
} GvMapType;

typedef struct GvColumn
{
	GvColumnKind kind;
	char	   *name;
	Oid			type;
	int32		typmod;
	char	   *payload_key;	/* GV_COL_MAPPED */
	GvMapType	map_type;		/* GV_COL_MAPPED */
} GvColumn;

typedef struct GvTable
{
	Oid			relid;
	char	   *collection;
	int			batch_size;
	int			natts;
	GvColumn   *columns;		/* by attnum - 1 */
	AttrNumber	id_attnum;		/* 0 when the table has no such column */
	AttrNumber	vector_attnum;
	Oid			vector_type;	/* the vector column's type (a domain's base type) */
	int32		vector_typmod;
	AttrNumber	payload_attnum;
	AttrNumber	version_attnum;
} GvTable;

/* Indexes into ForeignScan.fdw_private. */
enum
{
	GV_PRIV_COLLECTION,			/* String */
	GV_PRIV_FILTER,				/* List of nodes */
	GV_PRIV_ORDER_OP,			/* Integer GvDistanceOp, GV_OP_NONE when unordered */
	GV_PRIV_ORDER_VALUE,		/* Integer index of the query vector in fdw_exprs */
	GV_PRIV_LIMIT,				/* Integer: rows the query wants (-1: unknown) */
	GV_PRIV_ATTRS				/* List of Integer attnums the scan must fill */
};

/* fdw_option.c */
extern GvTable *gv_fdw_table(Oid relid);
extern const char *gv_map_type_name(GvMapType t);

/*
 * fdw_scan.c. The values of a plan's pushed-down filter (its fdw_exprs), evaluated when the scan starts
 * (PARAM_EXEC values, from initplans, are not known before).
 */
typedef struct GvFilterValues
{
	List	   *exprs;
	List	   *states;			/* their ExprStates */
	Datum	   *values;
	bool	   *nulls;
} GvFilterValues;

extern void gv_filter_values_init(GvFilterValues *fv, ForeignScanState *node);
/* Evaluates the values (in the current memory context) and renders filter with them ("": no filter). */
extern char *gv_filter_values_render(GvFilterValues *fv, List *filter, ExprContext *econtext);
/* The stored point id with every part and every mapped column; NULL when there is none. */
extern Govector__Pb__Record *gv_get_point(GvTable *t, char *id);
/* Fills slot with the stored point id as a row of the table; false when there is none. */
extern bool gv_slot_from_engine(GvTable *t, char *id, TupleTableSlot *slot);
extern void gvBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *gvIterateForeignScan(ForeignScanState *node);
extern void gvReScanForeignScan(ForeignScanState *node);
extern void gvEndForeignScan(ForeignScanState *node);
extern void gvExplainForeignScan(ForeignScanState *node, struct ExplainState *es);

/* fdw_modify.c */
extern void gvAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
									  Relation target_relation);
extern List *gvPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
								 int subplan_index);
extern void gvBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
								 int subplan_index, int eflags);
extern TupleTableSlot *gvExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern TupleTableSlot **gvExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
												 TupleTableSlot **planSlots, int *numSlots);
extern int	gvGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern TupleTableSlot *gvExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern TupleTableSlot *gvExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
										   TupleTableSlot *planSlot);
extern void gvEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void gvBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void gvEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern bool gvPlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index);
extern void gvBeginDirectModify(ForeignScanState *node, int eflags);
extern TupleTableSlot *gvIterateDirectModify(ForeignScanState *node);
extern void gvEndDirectModify(ForeignScanState *node);
extern void gvExplainDirectModify(ForeignScanState *node, struct ExplainState *es);

/*
 * Pushdown. A pushed-down filter is a tree of nodes kept in the plan (copyObject-able Lists):
 *   list(Integer GV_NODE_AND | GV_NODE_OR, child, child, ...)
 *   list(Integer GV_NODE_LEAF, Integer leaf kind, Integer value index, Integer negated,
 *        String key, String column type, String op)
 * Values are expressions (constants, parameters, stable expressions) evaluated when the scan starts; the
 * value index points into the plan's fdw_exprs. Rendering turns the tree into engine filter JSON.
 */
#define GV_NODE_AND 1
#define GV_NODE_OR 2
#define GV_NODE_LEAF 3

#define GV_LEAF_HAS_ID 1		/* value: text or text[] */
#define GV_LEAF_CONTAINS 2		/* value: jsonb */
#define GV_LEAF_COLUMN 3		/* value: scalar (or array for in/not_in); none for is_null/is_not_null */

/* Distance operators on real[] (the extension's <->, <=>, <#>, <+>) and the distance each accelerates. */
typedef enum GvDistanceOp
{
	GV_OP_NONE = 0,
	GV_OP_L2,					/* <->  euclid */
	GV_OP_COSINE,				/* <=>  cosine */
	GV_OP_NEG_IP,				/* <#>  dot */
	GV_OP_L1					/* <+>  manhattan */
} GvDistanceOp;

/* fdw_pushdown.c: translates one restriction clause; NULL when the engine cannot evaluate it exactly. */
extern List *gv_pushdown_clause(PlannerInfo *root, RelOptInfo *rel, GvTable *table, Expr *clause,
								List **values);
/* expr without the RelabelType nodes (binary-compatible casts) above it. */
extern Expr *gv_strip_relabel(Expr *e);

/*
 * fdw_shippable.c: whether the engine would answer as Postgres does. Of a clause's value only constants
 * are checked when planning; values known when the scan starts are checked as they are rendered.
 */
/* True when expr can be evaluated once when the scan starts (no Vars, nothing volatile). */
extern bool gv_is_scan_constant(Expr *expr);
extern bool gv_is_number_type(Oid type);
/* Whether the engine compares a number column of this SQL type as Postgres does. */
extern bool gv_number_comparable(Oid column_type);
/* False when value is a numeric constant (or array) the engine cannot compare exactly. */
extern bool gv_number_constant_ok(Expr *value);
/* The engine comparison ("eq", "lt", ...) a built-in number operator performs, or NULL. */
extern const char *gv_number_op(Oid opno);
/* True for no collation or a deterministic one (which compares as the engine does, byte by byte). */
extern bool gv_collation_ok(Oid collid);
/* Whether a text datum is an id spelt as the engine prints ids; whether all of value's constants are. */
extern bool gv_id_datum_is_canonical(Datum d);
extern bool gv_id_constant_ok(Expr *value);
/* Which of the extension's distance operators opno is (GV_OP_NONE for any other operator). */
extern GvDistanceOp gv_distance_operator(Oid opno);
extern const char *gv_distance_op_name(GvDistanceOp op);
/* The engine distance a distance operator accelerates ("euclid", ...). */
extern const char *gv_distance_op_metric(GvDistanceOp op);
/* What vector <op> query is for a point an engine search returned with this score. */
extern double gv_distance_from_score(GvDistanceOp op, float score);

/*
 * fdw_render.c: renders a filter (a list of top-level conditions, ANDed) as engine JSON. With values ==
 * NULL, values are shown as $n (parameters) or their constant value (EXPLAIN); otherwise values[i]/nulls[i]
 * hold the evaluated values.
 */
extern void gv_render_filter(StringInfo out, List *conditions, List *value_exprs, Datum *values, bool *nulls);
/* Shows a plan's filter in EXPLAIN as "Engine Filter" (nothing without one). */
extern void gv_explain_filter(List *filter, List *exprs, struct ExplainState *es);

#endif
